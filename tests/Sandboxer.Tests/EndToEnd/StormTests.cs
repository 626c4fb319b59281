using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Restart storms under OpenRC's real supervise-daemon, the services running as the
/// unprivileged account. Slow (a restart waits for a daemon that takes 2 s to stop), so
/// build/test.sh runs these in the host run only: the relay's lock and the supervisor's
/// handshake are the same code on both stacks, and the host's OpenRC 0.45 is the older one,
/// whose --stop returns as soon as bwrap has died.
/// </summary>
public sealed class StormTests : IDisposable
{
    private const int Restarts = 50;
    private const int Services = 20;

    private readonly ProfileDirectory profiles = new();
    private readonly string output;
    private readonly List<SupervisedService> services = [];

    public StormTests()
    {
        output = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "out"));
    }

    public void Dispose()
    {
        foreach (var service in services)
            service.Dispose();
        profiles.Dispose();
    }

    /// <summary>
    /// A daemon with a lock of its own on /out/lock: if another instance holds it when it
    /// starts, it writes "overlap" to its journal (then waits for it). On SIGTERM it takes
    /// <paramref name="stopSeconds"/> to stop. Its sleeps do not hold the lock.
    /// </summary>
    private SupervisedService Daemon(string name, string journal, int stopSeconds)
    {
        string script = $"exec 9>>/out/lock-{name}; flock -n 9 || {{ echo overlap >> /out/{journal}; flock 9; }}; " +
            $"trap \"echo stopping >> /out/{journal}; sleep {stopSeconds} 9>&-; echo stopped >> /out/{journal}; exit 0\" TERM; " +
            $"echo started >> /out/{journal}; while :; do sleep 0.1 9>&-; done";
        profiles.Write(name, $"""
            command = "/bin/sh"
            args = ["-c", '{script}', "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(output, "/out")}]
            """);
        var service = new SupervisedService(profiles, name);
        services.Add(service);
        return service;
    }

    private void AssertStopped(string name)
    {
        profiles.AssertLockReleased(name);
        var signal = Runner.Run(profiles.Sandboxer, ["signal", name, "HUP"], profiles.Environment());
        Assert.True(signal.ExitCode == 69, $"signal to a stopped {name}: {signal}");
    }

    [Fact]
    public void Fifty_immediate_restarts_of_a_slow_stopping_daemon_never_overlap_and_leave_nothing()
    {
        var service = Daemon("storm", "journal", stopSeconds: 2);
        var journal = new Journal(output);
        service.Start();
        journal.WaitForCount("started", 1);
        var sandboxes = new List<ProcessInfo>(service.Sandbox());
        var supervisors = new List<ProcessInfo> { Processes.Read(service.SupervisorPid!.Value)! };

        for (int i = 1; i <= Restarts; i++)
        {
            service.Stop();
            service.StartSupervisor();
            // The next stop comes once this daemon runs: each of the 51 must start, and none early.
            journal.WaitForCount("started", i + 1);
            sandboxes.AddRange(service.Sandbox());
            supervisors.Add(Processes.Read(service.SupervisorPid!.Value)!);
        }
        service.Stop();
        journal.WaitForCount("stopped", Restarts + 1);

        string[] expected = ["started", .. Enumerable.Repeat<string[]>(["stopping", "stopped", "started"], Restarts).SelectMany(x => x), "stopping", "stopped"];
        Assert.Equal(expected, journal.Lines());
        Processes.AssertAllGone(sandboxes, "after the last stop");
        Processes.AssertAllGone(supervisors, "after the last stop");
        AssertStopped("storm");
    }

    [Fact]
    public void Twenty_services_started_at_once_and_stopped_at_once_all_run_and_all_go()
    {
        var all = Enumerable.Range(0, Services).Select(i => (Name: $"crowd{i}", Service: Daemon($"crowd{i}", $"crowd{i}", stopSeconds: 1))).ToList();

        Parallel.ForEach(all, s => s.Service.Start());
        foreach (var (name, _) in all)
            new Journal(output, name).WaitForCount("started", 1);
        var sandboxes = all.SelectMany(s => s.Service.Sandbox()).ToList();
        var supervisors = all.Select(s => Processes.Read(s.Service.SupervisorPid!.Value)!).ToList();

        Parallel.ForEach(all, s => s.Service.Stop());
        foreach (var (name, _) in all)
            new Journal(output, name).WaitForCount("stopped", 1);

        Processes.AssertAllGone(sandboxes, "after all were stopped");
        Processes.AssertAllGone(supervisors, "after all were stopped");
        foreach (var (name, _) in all)
        {
            Assert.Equal(["started", "stopping", "stopped"], new Journal(output, name).Lines());
            AssertStopped(name);
        }
    }
}
