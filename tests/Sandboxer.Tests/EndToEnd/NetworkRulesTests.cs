using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// [network] under real bwrap and a real kernel: in a network namespace of the test's own, with
/// listeners on 127.0.0.1 ports 18080 and 18081, a sandboxed probe (Support/Probes/net-rules.c)
/// tries to connect and bind, and the kernel's answers are compared. A seccomp filter that makes
/// the Landlock calls fail with ENOSYS stands in for a kernel without Landlock.
/// </summary>
public sealed class NetworkRulesTests : IDisposable
{
    private const string Name = "net";
    private const string Everything = "connect:18080 connect:18081 bind:18082 bind:18083";
    private const string LacksLandlock = "this kernel has no Landlock (Linux 5.13 and later, with landlock in its lsm= list); TCP port rules need Landlock ABI 4, Linux 6.7";

    private readonly ProfileDirectory profiles = new();
    private readonly string probe = Probes.Build("net-rules");

    public void Dispose() => profiles.Dispose();

    /// <summary>The service's profile: the probe on the shared network, with <paramref name="network"/> on line 7.</summary>
    private string Profile(string network) =>
        profiles.Write(Name, $"command = \"{probe}\"\nargs = [\"try\"]\n[sandbox]\nshare-net = true\nro-bind = [\"{probe}\"]\n[network]\n{network}\n");

    private RunResult Run(string tries, Account who = Account.Root, bool withoutLandlock = false)
    {
        var (program, args) = Accounts.As(who, profiles.Link(Name, who), tries.Split(' '));
        var command = new List<string> { "netns", "18080", "18081", "--" };
        if (withoutLandlock)
            command.AddRange([probe, "no-landlock", "--"]);
        command.Add(program);
        command.AddRange(args);
        return Runner.Run(probe, command, profiles.Environment());
    }

    /// <summary>Runs the probe's tries (by default the four on IPv4) under <paramref name="network"/> and compares the kernel's answers.</summary>
    private void AssertAnswers(string network, string expected, Account who = Account.Root, string tries = Everything)
    {
        Profile(network);
        var result = Run(tries, who);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, result.Output);
        Assert.Equal("", result.Stderr);
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Connect_and_bind_reach_only_the_allowed_ports(Account who) =>
        AssertAnswers("connect = [18080]\nbind = [18082]", "connect 18080 0\nconnect 18081 EACCES\nbind 18082 0\nbind 18083 EACCES\n", who);

    [Fact]
    public void Connect_any_with_a_bind_list_restricts_only_bind() =>
        AssertAnswers("connect = \"any\"\nbind = [18082]", "connect 18080 0\nconnect 18081 0\nbind 18082 0\nbind 18083 EACCES\n");

    [Fact]
    public void An_empty_list_allows_no_port_and_the_other_direction_stays_open() =>
        AssertAnswers("connect = []", "connect 18080 EACCES\nconnect 18081 EACCES\nbind 18082 0\nbind 18083 0\n");

    [Fact]
    public void Best_effort_still_enforces_where_the_kernel_can() =>
        AssertAnswers("connect = [18080]\nbest-effort = true", "connect 18080 0\nconnect 18081 EACCES\nbind 18082 0\nbind 18083 0\n");

    [Fact]
    public void Ipv6_is_held_to_the_same_ports_and_udp_is_not_restricted() =>
        // Nothing listens on ::1: an allowed connect is refused by the peer, a denied one by Landlock.
        AssertAnswers("connect = [18080]\nbind = [18082]",
            "connect6 18080 ECONNREFUSED\nconnect6 18081 EACCES\nbind6 18082 0\nbind6 18083 EACCES\nudp 18081 0\n",
            tries: "connect6:18080 connect6:18081 bind6:18082 bind6:18083 udp:18081");

    [Fact]
    public void Show_prints_the_rules_the_relay_gets()
    {
        Profile("connect = [18081, 18080]\nbind = []\nbest-effort = true");
        var result = Runner.Run(profiles.Sandboxer, ["show", Name], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" relay --signal 15 --timeout 30 --lock-fd 3 --bind-ports none --connect-ports 18080,18081 --network-best-effort -- ", result.Output);
    }

    [Fact]
    public void Without_landlock_the_start_is_refused_naming_the_key()
    {
        string file = Profile("connect = [18080]");
        var result = Run(Everything, withoutLandlock: true);
        Assert.Equal(78, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal($"sandboxer: {file}:7:11: network.connect: {LacksLandlock}: not starting (set [network] best-effort = true to start without them)\n", result.Stderr);
    }

    [Fact]
    public void Best_effort_starts_without_landlock_and_warns()
    {
        Profile("connect = [18080]\nbest-effort = true");
        var result = Run(Everything, withoutLandlock: true);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("connect 18080 0\nconnect 18081 0\nbind 18082 0\nbind 18083 0\n", result.Output);
        Assert.Equal($"sandboxer: relay: warning: network.connect: {LacksLandlock}: starting the daemon without them (best-effort = true)\n", result.Stderr);
    }

    [Fact]
    public void The_relay_itself_refuses_to_start_the_daemon_without_landlock()
    {
        // The launcher refuses first; the relay decides again inside, where nothing else stops a daemon.
        var result = Runner.Run(probe, ["no-landlock", "--", "/usr/bin/unshare", "--pid", "--fork", "--kill-child",
            Published.Binary, "relay", "--signal", "15", "--lock-fd", "0", "--connect-ports", "443", "--", "/bin/echo", "started"]);
        Assert.Equal(78, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal($"sandboxer: relay: network.connect: {LacksLandlock}: not starting the daemon\n", result.Stderr);
    }
}
