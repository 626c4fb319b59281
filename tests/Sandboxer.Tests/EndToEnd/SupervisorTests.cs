using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Services started as monerod.initd starts them: OpenRC's supervise-daemon runs
/// bwrap-NAME as the unprivileged service account, tracks bwrap's PID and respawns it.
/// </summary>
public sealed class SupervisorTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly EchoDaemon echo;
    private readonly SupervisedService service;

    public SupervisorTests()
    {
        echo = new EchoDaemon(profiles);
        service = new SupervisedService(profiles, EchoDaemon.Profile, EchoDaemon.Args);
    }

    public void Dispose()
    {
        service.Dispose();
        profiles.Dispose();
    }

    [Fact]
    public void Supervised_child_is_bwrap_itself_running_as_the_service_account()
    {
        service.Start();
        int child = service.ChildPid!.Value;

        Assert.Equal(Processes.RealPath(Published.Bwrap), Processes.Executable(child));
        Assert.Equal(service.SupervisorPid, Processes.Read(child)!.ParentPid);
        Assert.Equal(Accounts.ServiceUid, Processes.RealUid(child));
    }

    [Fact]
    public void Supervised_daemon_runs_inside_the_sandbox()
    {
        service.Start();
        Assert.Equal(EchoDaemon.Expected("ping"), echo.WaitForAnswer("ping"));
        var daemon = Daemon();

        Assert.Equal(Accounts.ServiceUid, Processes.RealUid(daemon.Pid));
        foreach (var kind in new[] { "net", "pid", "mnt", "uts", "ipc", "user" })
            Assert.True(Processes.Namespace(daemon.Pid, kind) != Processes.Namespace(Environment.ProcessId, kind), $"the daemon shares the host's {kind} namespace");
        // Its root holds what the profile binds and the defaults make, nothing else (no /etc, no /proc).
        var root = Directory.GetFileSystemEntries($"/proc/{daemon.Pid}/root").Select(p => Path.GetFileName(p)).Order().ToList();
        var expected = new[] { "bin", "dev", "lib", "lib64", "run", "sbin", "tmp", "usr" }
            .Where(d => d is "dev" or "run" or "tmp" || Path.Exists("/" + d)).Order().ToList();
        Assert.Equal(expected, root);
    }

    [Fact]
    public void Stopped_service_leaves_no_process_behind()
    {
        service.Start();
        Assert.Equal(EchoDaemon.Expected("ping"), echo.WaitForAnswer("ping"));
        var supervisor = Processes.Read(service.SupervisorPid!.Value)!;
        var tree = Processes.Descendants(supervisor.Pid).Append(supervisor).ToList();
        // supervise-daemon, bwrap, bwrap's init in the new PID namespace, socat at least.
        Assert.True(tree.Count >= 4, "the service tree is smaller than expected: " + string.Join(", ", tree));

        service.Stop();

        Processes.AssertAllGone(tree, "after supervise-daemon --stop", timeoutSeconds: 5);
        Assert.False(File.Exists(echo.HostSocket) && echo.Ask("ping") is not null, "the daemon still answers after --stop");
    }

    [Fact]
    public void Crashed_daemon_is_respawned_in_a_new_sandbox()
    {
        service.Start();
        Assert.Equal(EchoDaemon.Expected("ping"), echo.WaitForAnswer("ping"));
        int firstBwrap = service.ChildPid!.Value;
        int starts = service.StartCount!.Value;
        var crashed = Daemon();

        Runner.Run("kill", ["-KILL", crashed.Pid.ToString()]);

        Assert.True(Processes.WaitUntil(() => service.ChildPid is int pid && pid != firstBwrap
                && Processes.Executable(pid) == Processes.RealPath(Published.Bwrap)),
            $"no new bwrap after the daemon {crashed} was killed; log: {service.ReadLog()}");
        Assert.Equal(starts + 1, service.StartCount);
        Assert.False(Processes.IsRunning(crashed), $"the killed daemon {crashed} runs");
        Assert.Equal(EchoDaemon.Expected("again"), echo.WaitForAnswer("again"));
        string socat = Processes.RealPath("/usr/bin/socat");
        Assert.True(Processes.Descendants(service.ChildPid!.Value).Any(p => Processes.Executable(p.Pid) == socat),
            "the answering socat is not in the new bwrap's sandbox");
    }

    [Fact]
    public void Restarted_service_answers_again()
    {
        service.Start();
        Assert.Equal(EchoDaemon.Expected("before"), echo.WaitForAnswer("before"));
        int before = service.ChildPid!.Value;

        service.Stop();
        Assert.Null(echo.Ask("between"));
        service.Start();

        Assert.NotEqual(before, service.ChildPid);
        Assert.Equal(EchoDaemon.Expected("after"), echo.WaitForAnswer("after"));
    }

    [Fact]
    public void Untrusted_profile_is_refused_with_its_reason_in_the_service_log()
    {
        File.SetUnixFileMode(Path.Combine(profiles.Path, EchoDaemon.Profile + ".toml"), (UnixFileMode)Convert.ToInt32("666", 8));

        service.StartSupervisor();

        // Each start fails at once; supervise-daemon gives up after its respawn-max (10) and exits.
        Assert.True(Processes.WaitUntil(() => service.ReadLog().Contains("not trusted")),
            "the service log does not say why the profile was refused: " + service.ReadLog());
        Assert.Contains($"sandboxer: {profiles.Path}/{EchoDaemon.Profile}.toml: not trusted: writable by group and others (mode 0666)", service.ReadLog());
        Assert.False(File.Exists(echo.HostSocket), "the daemon ran from an untrusted profile");
        if (service.SupervisorPid is int supervisor) // still respawning; otherwise it has given up
            Assert.DoesNotContain(Processes.Descendants(supervisor), p => Processes.Executable(p.Pid) == Processes.RealPath(Published.Bwrap));
    }

    /// <summary>The socat listening in the sandbox: the supervisor's descendant that runs socat.</summary>
    private ProcessInfo Daemon()
    {
        string socat = Processes.RealPath("/usr/bin/socat");
        ProcessInfo? daemon = null;
        Assert.True(Processes.WaitUntil(() => (daemon = Processes.Descendants(service.SupervisorPid!.Value)
                .FirstOrDefault(p => Processes.Executable(p.Pid) == socat)) is not null),
            "no socat runs under the supervisor: " + string.Join(", ", Processes.Descendants(service.SupervisorPid!.Value)));
        return daemon!;
    }
}
