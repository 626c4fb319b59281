using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

public class MountOrderTests
{
    [Fact]
    public void A_child_mount_written_before_its_parent_is_made_after_it()
    {
        var argv = Toml.Compose("[sandbox]\nbind = [\"/data/db\"]\n", "command = \"/bin/d\"\n[sandbox]\ntmpfs = [\"/data\"]\n");
        Assert.Equal("/usr/bin/bwrap --tmpfs /data --bind /data/db /data/db /bin/d", string.Join(' ', argv));
    }

    [Fact]
    public void Unrelated_mounts_keep_their_written_order()
    {
        var argv = Toml.Compose("[sandbox]\nbind = [\"/z\", \"/a\"]\n", "command = \"/bin/d\"\n[sandbox]\nro-bind = [\"/m\"]\ntmpfs = [\"/b\"]\n");
        Assert.Equal("/usr/bin/bwrap --bind /z /z --bind /a /a --ro-bind /m /m --tmpfs /b /bin/d", string.Join(' ', argv));
    }

    [Fact]
    public void Deep_chains_come_out_parents_first_and_trailing_slashes_do_not_matter()
    {
        var argv = Toml.Compose("", """
            command = "/bin/d"
            [sandbox]
            bind = ["/a/b/c/", "/x"]
            tmpfs = ["/a/b"]
            dir = ["/a"]
            symlink = [{ from = "/target", to = "/a/b/c/d" }]
            """);
        Assert.Equal("/usr/bin/bwrap --bind /x /x --dir /a --tmpfs /a/b --bind /a/b/c/ /a/b/c/ --symlink /target /a/b/c/d /bin/d", string.Join(' ', argv));
    }

    [Fact]
    public void A_root_mount_comes_first()
    {
        // Without the relay: it would refuse a host directory as the sandbox's root (RelayPlacementTests).
        var argv = Toml.Compose("[sandbox]\ntmpfs = [\"/tmp\"]\n", "command = \"/bin/d\"\n[sandbox]\nro-bind = [{ from = \"/srv/root\", to = \"/\" }]\n[stop]\nrelay = false\n");
        Assert.Equal("/usr/bin/bwrap --ro-bind /srv/root / --tmpfs /tmp /bin/d", string.Join(' ', argv));
    }

    [Fact]
    public void The_service_mount_on_the_hubs_destination_comes_later_and_wins()
    {
        var argv = Toml.Compose("[sandbox]\ntmpfs = [\"/tmp\"]\n", "command = \"/bin/d\"\n[sandbox]\nbind = [{ from = \"/var/tmp/d\", to = \"/tmp\" }]\n");
        Assert.Equal("/usr/bin/bwrap --tmpfs /tmp --bind /var/tmp/d /tmp /bin/d", string.Join(' ', argv));
    }

    [Fact]
    public void Five_hundred_mounts_are_ordered_with_parents_first()
    {
        var paths = Enumerable.Range(0, 250).SelectMany(i => new[] { $"\"/m/{i}/inner\"", $"\"/m/{i}\"" });
        var argv = Toml.Compose("", $"command = \"/bin/d\"\n[sandbox]\nbind = [{string.Join(", ", paths)}]\n");
        for (int i = 0; i < 250; i++)
            Assert.True(argv.IndexOf($"/m/{i}") < argv.IndexOf($"/m/{i}/inner"), $"/m/{i} after its child");
    }
}
