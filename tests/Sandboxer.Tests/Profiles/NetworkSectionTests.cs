using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class NetworkSectionTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void Without_a_network_section_nothing_is_restricted()
    {
        var rules = Toml.Load("", Command).Network.Rules;
        Assert.False(rules.RestrictsAnything);
        Assert.Null(rules.Bind);
        Assert.Null(rules.Connect);
    }

    [Fact]
    public void Ports_are_read_sorted_and_a_direction_without_a_key_is_not_restricted()
    {
        var rules = Toml.Load("", Command + "[network]\nconnect = [443, 53, 18080]\n").Network.Rules;
        Assert.Equal([53, 443, 18080], rules.Connect!);
        Assert.Null(rules.Bind);
        Assert.False(rules.BestEffort);
        Assert.Equal("network.connect", rules.Keys);
    }

    [Fact]
    public void An_empty_list_allows_no_port_at_all()
    {
        var rules = Toml.Load("", Command + "[network]\nbind = []\n").Network.Rules;
        Assert.Empty(rules.Bind!);
        Assert.True(rules.RestrictsAnything);
    }

    [Fact]
    public void Connect_any_restricts_only_bind()
    {
        var rules = Toml.Load("", Command + "[network]\nconnect = \"any\"\nbind = [18080]\nbest-effort = true\n").Network.Rules;
        Assert.Null(rules.Connect);
        Assert.Equal([18080], rules.Bind!);
        Assert.True(rules.BestEffort);
        Assert.Equal("network.bind", rules.Keys);
    }

    [Fact]
    public void The_spokes_ports_add_to_the_hubs_and_its_any_replaces_them()
    {
        var network = Toml.Load("[network]\nbind = []\nconnect = [53]\n", Command + "[network]\nbind = [18080]\nconnect = \"any\"\n").Network;
        Assert.Equal([18080], network.Rules.Bind!);
        Assert.Null(network.Rules.Connect);
        Assert.Equal(("network.bind", new Sandboxer.Profiles.Location(Toml.Spoke, 3, 8)), network.Restricting);
    }

    [Theory]
    [InlineData("bind = [0]", "3:9: network.bind[0]: 0 is not a TCP port from 1 to 65535")]
    [InlineData("bind = [80, 65536]", "3:13: network.bind[1]: 65536 is not a TCP port from 1 to 65535")]
    [InlineData("connect = [-1]", "3:12: network.connect[0]: -1 is not a TCP port from 1 to 65535")]
    [InlineData("connect = [\"443\"]", "3:12: network.connect[0]: must be a TCP port from 1 to 65535, not a string")]
    [InlineData("connect = [4.5]", "3:12: network.connect[0]: must be a TCP port from 1 to 65535, not a value of another type")]
    [InlineData("connect = 443", "3:11: network.connect: must be an array of TCP ports or \"any\", not an integer")]
    [InlineData("connect = \"all\"", "3:11: network.connect: \"all\" must be \"any\" or an array of TCP ports")]
    [InlineData("bind = [80, 80]", "3:13: network.bind[1]: port 80 is listed twice")]
    [InlineData("best-effort = \"yes\"", "3:15: network.best-effort: must be true or false, not a string")]
    [InlineData("conect = [1]", "3:1: network.conect: unknown key (did you mean \"connect\"?)")]
    public void Bad_network_settings_are_rejected_at_their_location(string line, string expected)
    {
        var e = Toml.Error("", Command + "[network]\n" + line + "\n");
        Assert.Equal(Toml.Spoke + ":" + expected, e.Message);
    }

    [Fact]
    public void A_list_cannot_narrow_the_hubs_any_which_it_would_silently_leave_open()
    {
        var e = Toml.Error("[network]\nconnect = \"any\"\n", Command + "[network]\nconnect = [443]\n");
        Assert.Equal($"{Toml.Spoke}:3:11: network.connect: the hub allows any port ({Toml.Hub}:2:11): a list here would not restrict it", e.Message);
    }

    [Fact]
    public void Port_rules_without_the_relay_are_refused_naming_the_key()
    {
        var e = Toml.Error("[network]\nconnect = [443]\n", Command + "[stop]\nrelay = false\n");
        Assert.Equal($"{Toml.Hub}:2:11: network.connect: is enforced by the stop relay inside the sandbox: it needs [stop] relay = true", e.Message);
    }

    [Fact]
    public void Any_in_both_directions_needs_no_relay()
    {
        var profile = Toml.Load("", Command + "[stop]\nrelay = false\n[network]\nconnect = \"any\"\nbind = \"any\"\nbest-effort = true\n");
        Assert.False(profile.Network.Rules.RestrictsAnything);
    }
}
