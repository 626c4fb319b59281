using System.Text;
using Sandboxer.Composition;
using Sandboxer.Relay;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

public class RelayCompositionTests
{
    private static RelayPlan Plan(int? argumentsFd = null, string? argv0 = null) => new(
        ["/run/sandboxer/lib/ld.so", "--library-path", "/run/sandboxer/lib", "/run/sandboxer/relay"],
        [("/usr/local/bin/sandboxer", "/run/sandboxer/relay"), ("/usr/lib/libc.so.6", "/run/sandboxer/lib/libc.so.6")],
        new RelayOptions(15, 30, 3, argumentsFd, argv0), []);

    private static string Compose(string defaults, string service, RelayPlan plan, params byte[][] callerArgs)
    {
        var profile = Toml.Load(defaults, service);
        return string.Join(' ', Composer.Compose(profile, Composer.Daemon(profile, callerArgs), plan).Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void The_relay_runs_as_pid_1_in_front_of_the_daemon()
    {
        Assert.Equal(
            "/usr/bin/bwrap --unshare-all --die-with-parent --as-pid-1 --tmpfs /tmp " +
            "--ro-bind /usr/local/bin/sandboxer /run/sandboxer/relay --ro-bind /usr/lib/libc.so.6 /run/sandboxer/lib/libc.so.6 " +
            "/run/sandboxer/lib/ld.so --library-path /run/sandboxer/lib /run/sandboxer/relay relay --signal 15 --timeout 30 --lock-fd 3 -- /bin/d --flag x",
            Compose("[sandbox]\nunshare-all = true\ntmpfs = \"/tmp\"\n", "command = \"/bin/d\"\nargs = [\"--flag\"]\n", Plan(), "x"u8.ToArray()));
    }

    [Fact]
    public void Without_unshare_all_the_relay_asks_for_its_own_pid_namespace()
    {
        Assert.StartsWith("/usr/bin/bwrap --unshare-pid --die-with-parent --as-pid-1 --ro-bind ", Compose("", "command = \"/bin/d\"\n", Plan()));
    }

    [Fact]
    public void Arguments_that_go_by_file_are_left_out_of_argv()
    {
        string argv = Compose("", "command = \"/bin/d\"\n", Plan(argumentsFd: 4), [0xff, 0x41], "ok"u8.ToArray());
        Assert.EndsWith(" relay --signal 15 --timeout 30 --lock-fd 3 --args-fd 4 --", argv);
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0x41 }, true)]
    [InlineData(new byte[] { 0xc3, 0x28 }, true)]
    [InlineData(new byte[] { 0xc3, 0xa9 }, false)]
    public void Only_arguments_that_are_not_utf8_or_too_big_go_by_file(byte[] arg, bool byFile)
    {
        Assert.Equal(byFile, RelayPlan.ArgumentsByFile(["/bin/d"u8.ToArray(), arg]));
        Assert.True(RelayPlan.ArgumentsByFile(["/bin/d"u8.ToArray(), new byte[70_000]]));
        Assert.True(RelayPlan.ArgumentsByFile(Enumerable.Repeat("x"u8.ToArray(), 1001).ToList()));
        Assert.False(RelayPlan.ArgumentsByFile(Enumerable.Repeat("x"u8.ToArray(), 1000).ToList()));
    }

    [Fact]
    public void Argv0_goes_to_the_relay_not_to_bwrap()
    {
        string argv = Compose("", "command = \"/bin/d\"\n[sandbox]\nargv0 = \"daemon\"\n", Plan(argv0: "daemon"));
        Assert.DoesNotContain("--argv0 daemon /run", argv);
        Assert.EndsWith(" relay --signal 15 --timeout 30 --lock-fd 3 --argv0 daemon -- /bin/d", argv);
    }

    [Fact]
    public void Relay_binds_come_after_a_profile_mount_on_their_parent()
    {
        string argv = Compose("", "command = \"/bin/d\"\n[sandbox]\ntmpfs = [\"/run\"]\n", Plan());
        Assert.Contains("--tmpfs /run --ro-bind /usr/local/bin/sandboxer /run/sandboxer/relay", argv);
    }

    [Fact]
    public void The_relay_options_read_back_as_written()
    {
        var written = new RelayOptions(2, 7, 3, 4, "name with space");
        var (read, first) = RelayOptions.Parse([.. written.ToArguments().Skip(1), "/bin/d"], 0);
        Assert.Equal(written, read);
        Assert.Equal(written.ToArguments().Count - 1, first);
    }
}
