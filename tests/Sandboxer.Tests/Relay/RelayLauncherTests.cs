using System.Text;
using Sandboxer.Relay;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Relay;

/// <summary>The numbers show prints and run gives the relay's descriptors: from 3 up, never the one the profile passes on.</summary>
public class RelayLauncherTests
{
    private static RelayOptions Options(string ready, params string[] daemonArgs)
    {
        var profile = Toml.Load("", "command = \"/bin/d\"\n" + ready);
        return RelayLauncher.Describe(profile, [.. Composer(profile, daemonArgs)]).Options;
    }

    private static List<byte[]> Composer(Sandboxer.Profiles.Profile profile, string[] args) =>
        Sandboxer.Composition.Composer.Daemon(profile, args.Select(Encoding.UTF8.GetBytes).ToList());

    [Fact]
    public void Without_readiness_the_lock_is_3_and_the_argument_file_4()
    {
        Assert.Equal(new RelayOptions(15, 30, 3), Options(""));
        Assert.Equal(new RelayOptions(15, 30, 3, 4), Options("", new string('x', 70_000)));
    }

    [Fact]
    public void A_passed_descriptor_at_3_moves_the_relays_own_up()
    {
        Assert.Equal(new RelayOptions(15, 30, 4, 5, ReadyFd: 3), Options("[ready]\nnotify = \"fd:3\"\n", new string('x', 70_000)));
    }

    [Fact]
    public void A_passed_descriptor_above_is_skipped()
    {
        Assert.Equal(new RelayOptions(15, 30, 3, 5, ReadyFd: 4), Options("[ready]\nnotify = \"fd:4\"\n", new string('x', 70_000)));
    }

    [Fact]
    public void The_notification_socket_gets_the_next_number()
    {
        Assert.Equal(new RelayOptions(15, 30, 3, NotifyFd: 4), Options("[ready]\nnotify = \"socket\"\n"));
        Assert.Equal(new RelayOptions(15, 30, 3, 4, NotifyFd: 5), Options("[ready]\nnotify = \"socket\"\n", new string('x', 70_000)));
    }
}
