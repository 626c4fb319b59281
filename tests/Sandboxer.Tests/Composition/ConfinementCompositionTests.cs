using System.Text;
using Sandboxer.Composition;
using Sandboxer.Relay;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

/// <summary>How the seccomp filter and disable-userns reach bwrap's command line.</summary>
public class ConfinementCompositionTests
{
    private static string Compose(string defaults, string service, RelayPlan? plan = null, int? seccompFd = null)
    {
        var profile = Toml.Load(defaults, service);
        return string.Join(' ', Composer.Compose(profile, Composer.Daemon(profile, []), plan, seccompFd).Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void Without_the_relay_bwrap_installs_the_filter_just_before_the_daemon()
    {
        Assert.Equal("/usr/bin/bwrap --unshare-all --tmpfs /tmp --seccomp 3 /bin/d",
            Compose("[sandbox]\nunshare-all = true\ntmpfs = \"/tmp\"\n", "command = \"/bin/d\"\n", seccompFd: 3));
    }

    [Fact]
    public void With_the_relay_the_filter_goes_to_the_relay_and_never_to_bwrap()
    {
        var plan = new RelayPlan(["/run/sandboxer/relay"], [], new RelayOptions(15, 30, 3, ConfineFd: 4), []);
        Assert.Equal("/usr/bin/bwrap --unshare-pid --die-with-parent --as-pid-1 /run/sandboxer/relay relay --signal 15 --timeout 30 --lock-fd 3 --confine-fd 4 -- /bin/d",
            Compose("", "command = \"/bin/d\"\n", plan));
    }

    [Fact]
    public void Relay_options_round_trip_the_confinement_descriptor()
    {
        var options = new RelayOptions(15, 30, 3, 4, "d", ConfineFd: 5);
        var (parsed, first) = RelayOptions.Parse([.. options.ToArguments().Skip(1), "/bin/d"], 0);
        Assert.Equal(options, parsed);
        Assert.Equal(options.ToArguments().Count - 1, first);
    }

    [Fact]
    public void Disable_userns_brings_its_own_unshare_user_which_bwrap_0_8_needs_even_with_unshare_all()
    {
        Assert.Equal("/usr/bin/bwrap --unshare-all --unshare-user --disable-userns /bin/d",
            Compose("[sandbox]\nunshare-all = true\ndisable-userns = true\n", "command = \"/bin/d\"\n"));
        Assert.Equal("/usr/bin/bwrap --unshare-all /bin/d",
            Compose("[sandbox]\nunshare-all = true\ndisable-userns = true\n", "command = \"/bin/d\"\n[sandbox]\ndisable-userns = false\n"));
    }
}
