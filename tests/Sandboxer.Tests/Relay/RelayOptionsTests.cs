using Sandboxer.Landlock;
using Sandboxer.Relay;

namespace Sandboxer.Tests.Relay;

public class RelayOptionsTests
{
    public static TheoryData<NetworkRules> Rules() => new()
    {
        new NetworkRules([18080], [53, 443], BestEffort: false),
        new NetworkRules(null, [443], BestEffort: true),
        new NetworkRules([], null, BestEffort: false),
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Network_rules_read_back_as_the_launcher_wrote_them(NetworkRules rules)
    {
        var written = new RelayOptions(15, 30, 3, Network: rules);
        var (read, first) = RelayOptions.Parse([.. written.ToArguments().Skip(1), "/bin/d"], 0);
        Assert.Equal(written, read);
        Assert.Equal(rules, read.Network);
        Assert.Equal(written.ToArguments().Count - 1, first);
    }

    [Fact]
    public void The_rules_are_written_as_show_prints_them()
    {
        var options = new RelayOptions(15, 30, 3, Network: new NetworkRules([], [53, 443], BestEffort: true));
        Assert.Equal("relay --signal 15 --timeout 30 --lock-fd 3 --bind-ports none --connect-ports 53,443 --network-best-effort --",
            string.Join(' ', options.ToArguments()));
    }

    [Fact]
    public void No_restriction_writes_no_option()
    {
        var options = new RelayOptions(15, 30, 3, Network: new NetworkRules(null, null, BestEffort: true));
        Assert.Equal("relay --signal 15 --timeout 30 --lock-fd 3 --", string.Join(' ', options.ToArguments()));
    }

    [Theory]
    [InlineData("--connect-ports", "0")]
    [InlineData("--connect-ports", "443,x")]
    [InlineData("--bind-ports", "")]
    public void A_port_option_with_anything_but_ports_is_a_usage_error(string option, string value)
    {
        var e = Assert.Throws<SandboxerException>(() => RelayOptions.Parse(["--signal", "15", "--lock-fd", "3", option, value, "--", "/bin/d"], 0));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Equal("relay: a port option needs TCP ports separated by commas, or none", e.Message);
    }
}
