using System.Text;
using Sandboxer.Composition;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

public class RelayCompositionTests
{
    private static readonly RelayPlan Plan = new("/lib/ld.so", "/run/sandboxer/relay",
        [("/usr/local/bin/sandboxer", "/run/sandboxer/relay"), ("/usr/lib/libc.so", "/usr/lib/libc.so")], 5, 6, 15, 30);

    private static string Compose(string defaults, string service, params byte[][] callerArgs) =>
        string.Join(' ', Composer.Compose(Toml.Load(defaults, service), callerArgs, Plan).Select(Encoding.UTF8.GetString));

    [Fact]
    public void The_relay_runs_as_pid_1_in_front_of_the_daemon()
    {
        Assert.Equal(
            "/usr/bin/bwrap --unshare-all --die-with-parent --as-pid-1 --info-fd 6 --tmpfs /tmp " +
            "--ro-bind /usr/local/bin/sandboxer /run/sandboxer/relay --ro-bind /usr/lib/libc.so /usr/lib/libc.so " +
            "/lib/ld.so /run/sandboxer/relay relay --signal 15 --timeout 30 --lock-fd 5 -- /bin/d --flag x",
            Compose("[sandbox]\nunshare-all = true\ntmpfs = \"/tmp\"\n", "command = \"/bin/d\"\nargs = [\"--flag\"]\n", "x"u8.ToArray()));
    }

    [Fact]
    public void Without_unshare_all_the_relay_asks_for_its_own_pid_namespace()
    {
        Assert.StartsWith("/usr/bin/bwrap --unshare-pid --die-with-parent --as-pid-1 --info-fd 6 ", Compose("", "command = \"/bin/d\"\n"));
    }

    [Fact]
    public void Arguments_that_are_not_utf8_travel_hex_encoded_to_the_relay()
    {
        string argv = Compose("", "command = \"/bin/d\"\n", [0xff, 0x41], "ok"u8.ToArray());
        Assert.EndsWith(" relay --signal 15 --timeout 30 --lock-fd 5 --hex -- 2F62696E2F64 FF41 6F6B", argv);
    }

    [Fact]
    public void Relay_binds_come_after_a_profile_mount_on_their_parent()
    {
        string argv = Compose("", "command = \"/bin/d\"\n[sandbox]\ntmpfs = [\"/run\"]\n");
        Assert.Contains("--tmpfs /run --ro-bind /usr/local/bin/sandboxer /run/sandboxer/relay", argv);
    }
}
