using System.Net;
using System.Net.Sockets;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The seed's navidrome + socat-navidrome pair: a service with no network listens on a Unix
/// socket; a second, bwrap'd socat with share-net bridges it to TCP on 127.0.0.1. Both run
/// under supervise-daemon as the service account, the socket directory bound into both. The
/// bridge is the shipped profiles/socat.toml over the shipped hub, its socket directory
/// /run/navidrome bound from the echo service's (<see cref="ShippedProfile"/>); the service is
/// a stand-in for navidrome, which Debian does not package.
/// </summary>
public sealed class BridgeTests : IDisposable
{
    private const string BridgeProfile = "socat";
    /// <summary>The echo service's socket as the bridge sees it, where the shipped profile binds navidrome's.</summary>
    private const string BridgedSocket = "/run/navidrome/echo.sock";
    private readonly ProfileDirectory profiles = new();
    private readonly EchoDaemon echo;
    private readonly SupervisedService service;
    private readonly SupervisedService bridge;
    private readonly int port = Loopback.FreePort();

    public BridgeTests()
    {
        echo = new EchoDaemon(profiles);
        ShippedProfile.Read(BridgeProfile).Data("/run/navidrome", echo.SocketDirectory).WriteTo(profiles);
        service = new SupervisedService(profiles, EchoDaemon.Profile, EchoDaemon.Args);
        bridge = new SupervisedService(profiles, BridgeProfile,
            $"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", $"UNIX-CONNECT:{BridgedSocket}");
    }

    public void Dispose()
    {
        bridge.Dispose();
        service.Dispose();
        profiles.Dispose();
    }

    [Fact]
    public void Client_gets_the_unix_socket_service_reply_through_the_tcp_bridge()
    {
        service.Start();
        bridge.Start();

        string? answer = null;
        Processes.WaitUntil(() => (answer = EchoDaemon.Ask(new IPEndPoint(IPAddress.Loopback, port), "hello")) == EchoDaemon.Expected("hello"));

        Assert.True(answer == EchoDaemon.Expected("hello"),
            $"through 127.0.0.1:{port} the client got {answer ?? "no connection"}; service log: {service.ReadLog()}; bridge log: {bridge.ReadLog()}");
    }

    [Fact]
    public void Service_without_share_net_cannot_connect_to_a_host_listener()
    {
        using var listener = Loopback.Listen(out int hostPort);

        // The service's own profile, as its account, running socat as a client instead of the daemon.
        var result = Accounts.Run(Account.Service, profiles.Link(EchoDaemon.Profile, Account.Service),
            ["-T2", "STDIO", $"TCP:127.0.0.1:{hostPort},connect-timeout=2"], profiles.Environment());

        Assert.True(result.ExitCode != 0, $"socat in the service's sandbox reached 127.0.0.1:{hostPort}: {result}");
        Assert.Contains("Connection refused", result.Stderr);
        Assert.False(listener.Pending(), $"the host listener on 127.0.0.1:{hostPort} got a connection from the service's sandbox");
    }

    [Fact]
    public void Bridge_with_share_net_can_connect_to_a_host_listener()
    {
        // The control for the test above: the same client does connect where the profile allows it.
        using var listener = Loopback.Listen(out int hostPort);

        var result = Accounts.Run(Account.Service, profiles.Link(BridgeProfile, Account.Service),
            ["-T2", "/dev/null", $"TCP:127.0.0.1:{hostPort},connect-timeout=2"], profiles.Environment());

        Assert.True(result.ExitCode == 0, $"socat in the bridge's sandbox could not reach 127.0.0.1:{hostPort}: {result}");
        Assert.True(listener.Pending(), "the host listener got no connection from the bridge's sandbox");
    }

    [Fact]
    public void Service_sandbox_cannot_read_host_secrets()
    {
        var result = Accounts.Run(Account.Service, profiles.Link(EchoDaemon.Profile, Account.Service), ["-u", "OPEN:/etc/shadow", "STDOUT"], profiles.Environment());

        Assert.True(result.ExitCode != 0, $"socat in the service's sandbox read /etc/shadow: {result}");
        Assert.Contains("No such file or directory", result.Stderr);
        Assert.Empty(result.Stdout);
    }
}
