using System.Net.Sockets;
using System.Text;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// [ready]: a supervisor's readiness descriptor or notification socket reaches the daemon
/// through bwrap and the relay, and nothing else does; started as a supervisor starts it, as
/// root and as the unprivileged service account, with the published binary and real bwrap.
/// What the tests share: a profile directory, /out, the supervisor's sockets and services.
/// </summary>
public abstract class ReadinessTestBase : IDisposable
{
    protected readonly ProfileDirectory profiles;
    /// <summary>A directory every daemon here can write to, /out in the sandbox.</summary>
    protected readonly string output;
    protected readonly List<Socket> sockets = [];
    protected readonly List<SupervisedService> services = [];

    /// <param name="launcher">The binary that launches the sandbox and is its relay.</param>
    protected ReadinessTestBase(string launcher)
    {
        profiles = new ProfileDirectory(launcher: launcher);
        // Writable by a daemon that runs as root without CAP_DAC_OVERRIDE too.
        output = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "out"), "777");
    }

    public void Dispose()
    {
        foreach (var service in services)
            service.Dispose();
        foreach (var socket in sockets)
            socket.Dispose();
        profiles.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A /bin/sh daemon with /proc, /out and the readiness setting; its script comes as arguments.</summary>
    protected void Profile(string name, string notify, bool relay = true) => profiles.Write(name, $"""
        command = "/bin/sh"
        [sandbox]
        proc = "/proc"
        {ProfileDirectory.ShellMounts}
        bind = [{Toml.Bind(output, "/out")}]
        [ready]
        notify = "{notify}"
        [stop]
        relay = {(relay ? "true" : "false")}
        """);

    protected RunResult Run(Account who, string name, string script, Dictionary<string, string>? environment = null, string prelude = "")
    {
        string link = profiles.Link(name, who);
        var all = profiles.Environment();
        foreach (var (key, value) in environment ?? [])
            all[key] = value;
        return Accounts.Run(who, link, ["-c", script], all, prelude, timeoutSeconds: 30);
    }

    /// <summary>
    /// Last in a script: the daemon's descriptors, seen from inside. ls is exec'd, so it has
    /// exactly the shell's (dash itself keeps copies around redirections and substitutions),
    /// and its own directory's is left out.
    /// </summary>
    protected const string ListDescriptors = "exec ls -l /proc/self/fd";

    protected static string Descriptors(RunResult result) => "fds: " + string.Join(' ', result.Output.Split('\n')
        .Select(line => System.Text.RegularExpressions.Regex.Match(line, @" (\d+) -> (.*)$"))
        .Where(m => m.Success && !System.Text.RegularExpressions.Regex.IsMatch(m.Groups[2].Value, @"^/proc/\d+/fd$"))
        .Select(m => m.Groups[1].Value));

    /// <summary>Exit 78 with one line saying why, and the daemon never ran (its script writes /out/started).</summary>
    protected void AssertRefused(RunResult result, string message)
    {
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Equal($"sandboxer: {message}\n", result.Stderr);
        Assert.False(File.Exists(Path.Combine(output, "started")), "the daemon ran");
    }

    /// <summary>A datagram socket the test reads, as a supervisor's NOTIFY_SOCKET, writable by the service account.</summary>
    protected (Socket Socket, string Name) NotifySocket(bool isAbstract, string mode = "666")
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sockets.Add(socket);
        string name = isAbstract ? "@sandboxer-test-" + Guid.NewGuid().ToString("N") : Path.Combine(profiles.Root, "notify.sock");
        socket.Bind(new UnixDomainSocketEndPoint(isAbstract ? "\0" + name[1..] : name));
        if (!isAbstract)
            File.SetUnixFileMode(name, (UnixFileMode)Convert.ToInt32(mode, 8));
        return (socket, name);
    }

    /// <summary>Every datagram queued on the socket, without waiting for more.</summary>
    protected static List<string> Received(Socket socket)
    {
        var messages = new List<string>();
        var buffer = new byte[65536];
        while (socket.Poll(0, SelectMode.SelectRead))
            messages.Add(Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)));
        return messages;
    }

    /// <summary>sh: send 'TEXT' sends one datagram to $NOTIFY_SOCKET, as sd_notify does.</summary>
    protected const string Send = "send() { printf \"$1\" | socat -u - UNIX-SENDTO:\"$NOTIFY_SOCKET\"; }";

}

/// <summary>What the relay does with readiness: run again with the arm64 relay (Arm64RelayReadinessTests).</summary>
public class RelayReadinessTests : ReadinessTestBase
{
    public RelayReadinessTests() : this(Published.Binary)
    {
    }

    protected RelayReadinessTests(string launcher) : base(launcher)
    {
    }

    [Theory]
    [InlineData(Account.Root, true)]
    [InlineData(Account.Service, true)]
    [InlineData(Account.Root, false)]
    [InlineData(Account.Service, false)]
    public void The_passed_descriptor_reaches_the_daemon_as_itself_and_no_other_does(Account who, bool relay)
    {
        Profile("fd", "fd:3", relay);
        string ready = Path.Combine(profiles.Root, "ready");

        // 4, 5 and 9 stand for whatever else a supervisor leaves open.
        var result = Run(who, "fd", $"echo ready >&3; {ListDescriptors}", prelude: $"exec 3>'{ready}' 4</dev/null 5</dev/null 9</dev/null");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("fds: 0 1 2 3", Descriptors(result));
        Assert.Equal("ready\n", File.ReadAllText(ready));
    }

    [Theory]
    [InlineData(Account.Root, false)]
    [InlineData(Account.Service, false)]
    [InlineData(Account.Root, true)]
    [InlineData(Account.Service, true)]
    public void Notifications_reach_the_supervisors_socket_from_a_socket_inside_the_sandbox(Account who, bool isAbstract)
    {
        Profile("sd", "socket");
        var (socket, name) = NotifySocket(isAbstract);

        var result = Run(who, "sd", $"""
            {Send}; send 'STATUS=starting'; send 'READY=1\nMAINPID=1\nFDSTORE=1'
            echo "socket: $NOTIFY_SOCKET"; echo "variables: $(env | grep -c NOTIFY_SOCKET)"; send 'STOPPING=1'; {ListDescriptors}
            """, new() { ["NOTIFY_SOCKET"] = name });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["STATUS=starting", "READY=1", "STOPPING=1"], Received(socket));
        Assert.Contains("socket: /run/sandboxer/notify\n", result.Output);
        Assert.Contains("variables: 1\n", result.Output);
        Assert.Equal("fds: 0 1 2", Descriptors(result));
    }

    [Fact]
    public void A_flooding_daemon_blocks_neither_itself_nor_the_relay_and_oversized_messages_are_dropped()
    {
        Profile("sd", "socket");
        var (socket, name) = NotifySocket(isAbstract: false);

        // The test never reads while the daemon runs: the host socket's queue (max_dgram_qlen,
        // 10 by default) fills after a few datagrams, and a relay that waited for room would
        // stop reading, and so stop the daemon's own sends, for ever.
        var result = Run(Account.Service, "sd", $"""
            {Send}; send "STATUS=$(head -c 5000 /dev/zero | tr '\0' x)"; send 'STATUS=a\033[2Jb'
            yes READY=1 | head -n 2000 | socat -b 8 -u - UNIX-SENDTO:"$NOTIFY_SOCKET"; exit 7
            """, new() { ["NOTIFY_SOCKET"] = name });

        Assert.True(result.ExitCode == 7, result.ToString());
        var received = Received(socket);
        Assert.NotEmpty(received);
        Assert.All(received, message => Assert.Equal("READY=1", message));
    }
}

/// <summary>The launcher's refusals, show, an idle relay, and the real supervise-daemon, with this machine's binary.</summary>
public sealed class ReadinessTests() : ReadinessTestBase(Published.Binary)
{
    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void A_descriptor_the_supervisor_did_not_pass_is_refused(Account who)
    {
        Profile("fd", "fd:3");

        var result = Run(who, "fd", "echo started > /out/started", prelude: "exec 4</dev/null");

        AssertRefused(result, "fd: [ready] notify = \"fd:3\", but descriptor 3 is not open: the supervisor must pass it (OpenRC: notify=fd:3 in the init script)");
    }

    [Fact]
    public void Show_prints_the_descriptor_numbers_run_uses_none_of_them_the_passed_one()
    {
        Profile("fd", "fd:3");
        // Not UTF-8: the daemon's arguments go by file, a second descriptor of the relay's own.
        byte[][] args = ["-c"u8.ToArray(), [.. "exit 0 #"u8, 0xff]];
        var show = Runner.Run(profiles.Sandboxer, ["show"u8.ToArray(), "fd"u8.ToArray(), .. args], profiles.Environment());
        var environment = profiles.Environment();
        environment["SANDBOXER_LOG"] = "debug";
        var run = Runner.Run(profiles.Link("fd"), args, environment, prelude: "exec 3>/dev/null 4</dev/null 5</dev/null");

        Assert.True(run.ExitCode == 0, run.ToString());
        string shown = RelayOptions(show.Output);
        // The shipped hub's [seccomp] and [limits] reach the daemon through the confine step's file.
        Assert.Equal("relay --signal 15 --timeout 30 --lock-fd 4 --args-fd 5 --ready-fd 3 --confine-fd 6 --", shown);
        Assert.Equal(shown, RelayOptions(run.Stderr));
    }

    private static string RelayOptions(string command)
    {
        var options = System.Text.RegularExpressions.Regex.Match(command, @"relay (--[a-z0-9-]+ \S+ )*--(?=\s|$)");
        Assert.True(options.Success, "no relay options in: " + command);
        return options.Value;
    }

    [Fact]
    public void A_relay_with_nothing_to_forward_sleeps()
    {
        Profile("sd", "socket");
        var (socket, name) = NotifySocket(isAbstract: false);
        var environment = profiles.Environment();
        environment["NOTIFY_SOCKET"] = name;
        using var sandbox = Runner.Start(profiles.Link("sd"), ["-c"u8.ToArray(), "printf READY=1 | socat -u - UNIX-SENDTO:\"$NOTIFY_SOCKET\"; exec sleep 30"u8.ToArray()], environment);
        try
        {
            Assert.True(Processes.WaitUntil(() => Received(socket).Count > 0), "the daemon's READY=1 did not arrive");
            var relay = Processes.Descendants(sandbox.Id).First(p => Processes.CommandLine(p.Pid).Contains("relay"));

            // Every thread of the relay, the forwarder's included, wakes up only when something happens.
            var before = Wakeups(relay.Pid);
            Thread.Sleep(1500);
            Assert.Equal(before, Wakeups(relay.Pid));
        }
        finally
        {
            sandbox.Kill();
        }
    }

    /// <summary>Each thread's name and how many times it has gone to sleep and woken (voluntary context switches).</summary>
    private static List<string> Wakeups(int pid) => Directory.GetDirectories($"/proc/{pid}/task").Order()
        .Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() + " " +
            File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)))
        .ToList();

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Without_NOTIFY_SOCKET_the_start_is_refused(Account who)
    {
        Profile("sd", "socket");
        var result = Run(who, "sd", "echo started > /out/started");
        AssertRefused(result, "sd: [ready] notify = \"socket\", but NOTIFY_SOCKET is not set: the supervisor must provide it (OpenRC: notify=socket:ready; systemd: Type=notify)");
    }

    [Fact]
    public void A_socket_the_service_account_cannot_write_is_refused()
    {
        Profile("sd", "socket");
        var (_, name) = NotifySocket(isAbstract: false, mode: "755");
        var result = Run(Account.Service, "sd", "echo started > /out/started", new() { ["NOTIFY_SOCKET"] = name });
        AssertRefused(result, $"NOTIFY_SOCKET {name}: cannot connect as uid {Accounts.ServiceUid}: Permission denied (the service's user must be able to write to the socket)");
    }

    [Fact]
    public void A_socket_nobody_listens_on_any_more_starts_the_daemon_with_a_warning()
    {
        // OpenRC removes its socket once the first start is ready: a respawn finds none.
        Profile("sd", "socket");
        string gone = Path.Combine(profiles.Root, "gone.sock");
        var result = Run(Account.Service, "sd", $"{Send}; send 'READY=1'; echo sent", new() { ["NOTIFY_SOCKET"] = gone });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("sent\n", result.Output);
        Assert.Equal($"sandboxer: warning: NOTIFY_SOCKET {gone}: No such file or directory: the daemon's notifications will go nowhere\n", result.Stderr);
    }

    /// <summary>
    /// An init script's notify=fd:3 or notify=socket:ready, which OpenRC 0.62 and later pass to
    /// supervise-daemon as --notify: --start returns once the daemon says it is ready, and not
    /// before. The daemon here says so only when the test lets it.
    /// </summary>
    [Theory]
    [InlineData(Account.Root, "fd:3")]
    [InlineData(Account.Service, "fd:3")]
    [InlineData(Account.Root, "socket")]
    [InlineData(Account.Service, "socket")]
    public void The_supervisor_reports_the_service_started_when_the_daemon_says_it_is_ready(Account who, string notify)
    {
        string sayReady = notify == "socket" ? "printf READY=1 | socat -u - UNIX-SENDTO:\"$NOTIFY_SOCKET\"" : "echo >&3";
        Profile("daemon", notify);
        var service = new SupervisedService(profiles, who, "daemon",
            "-c", $"while [ ! -e /out/go ]; do sleep 0.1; done; echo notifying with umask $(umask) >> /out/journal; {sayReady}; exec sleep 600");
        services.Add(service);

        // OpenRC binds its socket with the umask the supervisor starts with: a service account
        // can connect only if that is 000, which an init script sets at the end of its start_pre
        // (see the README, and the next test for what root's 022 gives). supervise-daemon then
        // applies its own (--umask, 022 by default) to all else: its pidfile, and the daemon
        // unless PAM sets another for command_user.
        using var start = service.BeginStart(["--notify", notify == "socket" ? "socket:ready" : notify],
            prelude: who == Account.Service && notify == "socket" ? "umask 000" : "");
        if (!Stack.OpenRCHas("0.62"))
        {
            // What this release does: it has no readiness, and its openrc-run ignores notify=.
            var refused = Runner.Wait(start, 10);
            Assert.True(refused.ExitCode != 0 && refused.ToString().Contains("unrecognized option '--notify'"), refused.ToString());
            return;
        }
        Assert.True(Processes.WaitUntil(() => service.ChildPid is int pid && Processes.Executable(pid) == Processes.RealPath(Published.Bwrap)),
            $"supervise-daemon did not get bwrap running; log: {service.ReadLog()}");
        Assert.False(start.WaitForExit(1500), $"--start returned before the daemon said it was ready; log: {service.ReadLog()}");

        File.WriteAllText(Path.Combine(output, "go"), "");

        var started = Runner.Wait(start, 20);
        Assert.True(started.ExitCode == 0, $"{started}\nlog: {service.ReadLog()}");
        string journal = File.ReadAllText(Path.Combine(output, "journal"));
        Assert.Matches("^notifying with umask 0[0-7]{3}\n$", journal);
        // The umask 000 the socket needed reached neither the daemon (which has supervise-daemon's
        // own, or PAM's for command_user) nor the supervisor's pidfile.
        Assert.NotEqual("notifying with umask 0000\n", journal);
        Assert.Equal((UnixFileMode)Convert.ToInt32("644", 8), File.GetUnixFileMode(service.PidFile));
        Assert.Equal(Processes.RealPath(Published.Bwrap), Processes.Executable(service.ChildPid!.Value));
    }

    /// <summary>
    /// notify=socket:ready with command_user, as OpenRC sets it up under root's umask 022: its
    /// socket is root's, srwxr-xr-x, so the service account may not send to it, sandboxed or
    /// not. Each start is refused before bwrap runs, the service log says why, and --start
    /// does not report the service started.
    /// </summary>
    [Fact]
    public void Under_roots_umask_the_service_accounts_socket_start_is_refused_and_the_log_says_why()
    {
        Profile("daemon", "socket");
        var service = new SupervisedService(profiles, "daemon", "-c", "echo started >> /out/journal; exec sleep 600");
        services.Add(service);

        using var start = service.BeginStart(["--notify", "socket:ready"], prelude: "umask 022");
        try
        {
            if (!Stack.OpenRCHas("0.62"))
            {
                var refused = Runner.Wait(start, 10);
                Assert.True(refused.ExitCode != 0 && refused.ToString().Contains("unrecognized option '--notify'"), refused.ToString());
                return;
            }
            string socket = $"/run/openrc/supervise-{service.Name}.sock";
            Assert.True(Processes.WaitUntil(() => service.ReadLog().Contains($"sandboxer: NOTIFY_SOCKET {socket}: cannot connect as uid {Accounts.ServiceUid}: Permission denied (the service's user must be able to write to the socket)")),
                "the service log does not say why: " + service.ReadLog());
            Assert.False(start.HasExited && start.ExitCode == 0, "--start reported the service started");
            Assert.False(File.Exists(Path.Combine(output, "journal")), "the daemon ran");
        }
        finally
        {
            if (!start.HasExited)
                start.Kill();
        }
    }

    /// <summary>
    /// What a profile with fd:3 meets under OpenRC before 0.62, or an init script without
    /// notify=: no descriptor 3, so each start is refused, and the log says why.
    /// </summary>
    [Fact]
    public void Under_a_supervisor_that_passes_no_descriptor_the_service_log_says_why_nothing_runs()
    {
        Profile("daemon", "fd:3");
        var service = new SupervisedService(profiles, "daemon", "-c", "echo started >> /out/journal; exec sleep 600");
        services.Add(service);

        service.StartSupervisor();

        Assert.True(Processes.WaitUntil(() => service.ReadLog().Contains("sandboxer: daemon: [ready] notify = \"fd:3\", but descriptor 3 is not open")),
            "the service log does not say why: " + service.ReadLog());
        Assert.False(File.Exists(Path.Combine(output, "journal")), "the daemon ran");
    }
}
