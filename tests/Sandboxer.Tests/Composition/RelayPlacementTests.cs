using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

/// <summary>
/// The relay's files are bound under /run/sandboxer, and bwrap creates a destination in
/// whatever is mounted there: the profile is refused when that would be a host directory.
/// </summary>
public class RelayPlacementTests
{
    [Theory]
    [InlineData("bind = [\"/run\"]", "sandbox.bind: /run is a directory of the host's")]
    [InlineData("ro-bind = [{ from = \"/srv/root\", to = \"/\" }]", "sandbox.ro-bind: / is a directory of the host's")]
    [InlineData("dev-bind = [\"/\"]", "sandbox.dev-bind: / is a directory of the host's")]
    [InlineData("bind-try = [\"/run\"]", "sandbox.bind-try: /run is a directory of the host's")]
    [InlineData("overlay = [{ sources = [\"/a\"], rw = \"/b\", work = \"/c\", to = \"/run\" }]", "sandbox.overlay: /run is a directory of the host's")]
    [InlineData("symlink = [{ from = \"/tmp\", to = \"/run\" }]", "sandbox.symlink: /run is a symbolic link")]
    [InlineData("proc = \"/run\"", "sandbox.proc: /run is a proc filesystem")]
    [InlineData("tmpfs = [\"/run/sandboxer\"]", "sandbox.tmpfs: /run/sandboxer is where the stop relay's files go")]
    [InlineData("ro-bind = [\"/run/sandboxer/relay\"]", "sandbox.ro-bind: /run/sandboxer is where the stop relay's files go")]
    public void A_host_directory_where_the_relay_would_create_its_own_is_refused(string mount, string message)
    {
        var e = Toml.Error("", $"command = \"/bin/d\"\n[sandbox]\n{mount}\n");
        Assert.StartsWith($"{Toml.Spoke}:3:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("tmpfs = [\"/run\"]\nbind = [\"/run/foo\"]")]
    [InlineData("bind = [\"/\"]\ntmpfs = [\"/run\"]")]
    [InlineData("bind = [\"/run/foo\", \"/var/run\"]")]
    [InlineData("dev = \"/run\"")]
    [InlineData("dir = [\"/run\"]")]
    public void The_sandboxs_own_root_or_a_tmpfs_on_the_way_is_fine(string mounts)
    {
        Toml.Load("", $"command = \"/bin/d\"\n[sandbox]\n{mounts}\n");
    }

    [Fact]
    public void A_spokes_tmpfs_over_a_hubs_host_directory_is_fine_and_the_reverse_is_not()
    {
        Toml.Load("[sandbox]\nbind = [\"/run\"]\n", "command = \"/bin/d\"\n[sandbox]\ntmpfs = [\"/run\"]\n");
        Assert.Contains("/run is a directory of the host's", Toml.Error("[sandbox]\ntmpfs = [\"/run\"]\n", "command = \"/bin/d\"\n[sandbox]\nbind = [\"/run\"]\n").Message);
    }

    [Fact]
    public void Without_the_relay_the_profile_may_bind_what_it_likes()
    {
        Toml.Load("", "command = \"/bin/d\"\n[sandbox]\nbind = [\"/run\"]\n[stop]\nrelay = false\n");
    }
}
