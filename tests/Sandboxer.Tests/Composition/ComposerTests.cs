using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

public class ComposerTests
{
    private const string Defaults = Toml.SeedDefaults;

    private static string Line(List<string> argv) => string.Join(' ', argv);

    [Fact]
    public void Monerod_profile_composes_the_seed_scripts_command()
    {
        var argv = Toml.Compose(Defaults, """
            command = "/usr/bin/monerod"
            args = []
            [sandbox]
            share-net = true
            ro-bind = ["/lib/ld-musl-aarch64.so.1", "/usr/lib", "/usr/bin/monerod", "/etc/monero/monerod.conf", "/etc/resolv.conf"]
            bind = ["/var/log/monero/", { from = "/mnt/tank1/monerod", to = "/data" }]
            """, "--non-interactive");
        Assert.Equal(
            "/usr/bin/bwrap --unshare-all --share-net --hostname host --clearenv --cap-drop ALL --new-session --die-with-parent " +
            "--dev /dev --tmpfs /tmp --ro-bind /lib/ld-musl-aarch64.so.1 /lib/ld-musl-aarch64.so.1 --ro-bind /usr/lib /usr/lib " +
            "--ro-bind /usr/bin/monerod /usr/bin/monerod --ro-bind /etc/monero/monerod.conf /etc/monero/monerod.conf " +
            "--ro-bind /etc/resolv.conf /etc/resolv.conf --bind /var/log/monero/ /var/log/monero/ --bind /mnt/tank1/monerod /data " +
            "/usr/bin/monerod --non-interactive",
            Line(argv));
    }

    [Fact]
    public void Profile_args_come_before_the_callers_arguments()
    {
        var argv = Toml.Compose("", """
            command = "/bin/daemon"
            args = ["--config", "/etc/d.conf"]
            """, "--verbose", "");
        Assert.Equal(["/usr/bin/bwrap", "/bin/daemon", "--config", "/etc/d.conf", "--verbose", ""], argv);
    }

    [Fact]
    public void Unshare_all_always_precedes_share_net_whatever_the_key_order()
    {
        var argv = Toml.Compose("[sandbox]\nshare-net = true\n", "command = \"/bin/d\"\n[sandbox]\nunshare-all = true\n");
        Assert.True(argv.IndexOf("--unshare-all") < argv.IndexOf("--share-net"));
    }

    [Fact]
    public void Clearenv_precedes_setenv_so_granted_variables_survive()
    {
        var argv = Toml.Compose("[sandbox]\nsetenv = { TZ = \"UTC\" }\n", "command = \"/bin/d\"\n[sandbox]\nclearenv = true\nsetenv = { LANG = \"C\", TZ = \"Europe/Paris\" }\n");
        Assert.Equal("/usr/bin/bwrap --clearenv --setenv TZ Europe/Paris --setenv LANG C /bin/d", Line(argv));
    }

    [Fact]
    public void Capabilities_are_dropped_before_they_are_added()
    {
        var argv = Toml.Compose("[sandbox]\ncap-add = [\"CAP_NET_BIND_SERVICE\"]\n", "command = \"/bin/d\"\n[sandbox]\ncap-drop = [\"ALL\"]\n");
        Assert.Equal("/usr/bin/bwrap --cap-drop ALL --cap-add CAP_NET_BIND_SERVICE /bin/d", Line(argv));
    }

    [Fact]
    public void A_spoke_flag_set_to_false_turns_off_the_hubs()
    {
        var argv = Toml.Compose("[sandbox]\ndie-with-parent = true\nnew-session = true\n", "command = \"/bin/d\"\n[sandbox]\ndie-with-parent = false\n");
        Assert.Equal("/usr/bin/bwrap --new-session /bin/d", Line(argv));
    }

    [Fact]
    public void A_spoke_scalar_replaces_the_hubs_and_arrays_append()
    {
        var argv = Toml.Compose(Defaults, "bwrap = \"/opt/bwrap\"\ncommand = \"/bin/d\"\n[sandbox]\nhostname = \"svc\"\ntmpfs = [\"/run\"]\ncap-drop = [\"CAP_CHOWN\"]\n");
        Assert.Equal("/opt/bwrap", argv[0]);
        Assert.Equal("svc", argv[argv.IndexOf("--hostname") + 1]);
        Assert.Single(argv, "--hostname");
        Assert.Contains("--tmpfs /tmp --tmpfs /run", Line(argv));
        Assert.Contains("--cap-drop ALL --cap-drop CAP_CHOWN", Line(argv));
    }

    [Fact]
    public void Tmpfs_and_dir_take_perms_and_size_as_modifiers()
    {
        var argv = Toml.Compose("", """
            command = "/bin/d"
            [sandbox]
            tmpfs = [{ path = "/run", perms = "0700", size = 1048576 }]
            dir = [{ path = "/state", perms = "0750" }]
            """);
        Assert.Equal("/usr/bin/bwrap --perms 0700 --size 1048576 --tmpfs /run --perms 0750 --dir /state /bin/d", Line(argv));
    }

    [Fact]
    public void Overlays_list_their_sources_before_the_mount()
    {
        var argv = Toml.Compose("", """
            command = "/bin/d"
            [sandbox]
            ro-overlay = [{ sources = ["/a", "/b"], to = "/x" }]
            tmp-overlay = { sources = ["/c"], to = "/y" }
            overlay = { sources = ["/d"], rw = "/up", work = "/work", to = "/z" }
            """);
        Assert.Equal("/usr/bin/bwrap --overlay-src /a --overlay-src /b --ro-overlay /x --overlay-src /c --tmp-overlay /y " +
                     "--overlay-src /d --overlay /up /work /z /bin/d", Line(argv));
    }

    [Fact]
    public void Remount_and_chmod_come_after_every_mount()
    {
        var argv = Toml.Compose("[sandbox]\nremount-ro = \"/etc\"\nchmod = { mode = \"0555\", path = \"/srv\" }\n",
            "command = \"/bin/d\"\n[sandbox]\nbind = [\"/etc\", \"/srv\"]\n");
        Assert.Equal("/usr/bin/bwrap --bind /etc /etc --bind /srv /srv --remount-ro /etc --chmod 0555 /srv /bin/d", Line(argv));
    }

    [Fact]
    public void Symlink_target_may_be_relative()
    {
        var argv = Toml.Compose("", "command = \"/bin/d\"\n[sandbox]\nsymlink = [{ from = \"usr/lib\", to = \"/lib\" }]\n");
        Assert.Equal("/usr/bin/bwrap --symlink usr/lib /lib /bin/d", Line(argv));
    }

    [Fact]
    public void Every_flag_and_scalar_key_reaches_bwrap_as_its_own_option()
    {
        var argv = Toml.Compose("", """
            command = "/bin/d"
            [sandbox]
            unshare-user = true
            unshare-user-try = true
            unshare-ipc = true
            unshare-pid = true
            unshare-net = true
            unshare-uts = true
            unshare-cgroup = true
            unshare-cgroup-try = true
            disable-userns = true
            assert-userns-disabled = true
            uid = 1000
            gid = 1000
            chdir = "/data"
            unsetenv = ["HOME"]
            as-pid-1 = true
            argv0 = "daemon"
            exec-label = "system_u:system_r:svirt_t:s0"
            file-label = "system_u:object_r:svirt_sandbox_file_t:s0"
            lock-file = "/data/.lock"
            level-prefix = true
            proc = "/proc"
            mqueue = "/dev/mqueue"
            dev-bind = "/dev/null"
            dev-bind-try = "/dev/kvm"
            bind-try = "/var/cache/d"
            ro-bind-try = "/etc/d.conf"
            [stop]
            relay = false
            """);
        Assert.Equal(
            "/usr/bin/bwrap --unshare-user --unshare-user-try --unshare-ipc --unshare-pid --unshare-net --unshare-uts " +
            "--unshare-cgroup --unshare-cgroup-try --disable-userns --assert-userns-disabled --uid 1000 --gid 1000 --chdir /data " +
            "--unsetenv HOME --as-pid-1 --argv0 daemon --exec-label system_u:system_r:svirt_t:s0 " +
            "--file-label system_u:object_r:svirt_sandbox_file_t:s0 --lock-file /data/.lock --level-prefix " +
            "--proc /proc --mqueue /dev/mqueue --dev-bind /dev/null /dev/null --dev-bind-try /dev/kvm /dev/kvm " +
            "--bind-try /var/cache/d /var/cache/d --ro-bind-try /etc/d.conf /etc/d.conf /bin/d",
            Line(argv));
    }

    [Fact]
    public void Every_catalog_option_is_covered_by_a_composition_test()
    {
        // Guards the test above and its neighbours: a key added to the catalog needs a test here.
        string source = File.ReadAllText(Path.Combine(Published.RepositoryRoot, "tests", "Sandboxer.Tests", "Composition", "ComposerTests.cs"));
        foreach (var spec in Sandboxer.Profiles.BwrapOptions.All)
            Assert.True(source.Contains($"--{spec.Name} "), $"--{spec.Name} appears in no expected argv");
    }
}
