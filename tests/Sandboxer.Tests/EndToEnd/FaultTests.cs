using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Faults in the middle of a service's life under the real supervise-daemon, the service
/// running as the unprivileged account: each ends in a clean outcome or a clear error, and
/// leaves nothing that the next start would trip over (no process, no held lock).
/// </summary>
public sealed class FaultTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string output;
    private readonly List<SupervisedService> services = [];

    public FaultTests()
    {
        output = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "out"));
    }

    public void Dispose()
    {
        foreach (var service in services)
            service.Dispose();
        profiles.Dispose();
    }

    /// <summary>A daemon that journals its start and, on SIGTERM, takes <paramref name="stopSeconds"/> to stop.</summary>
    private SupervisedService Daemon(string name, int stopSeconds, string stop = "")
    {
        profiles.Write(name, $"""
            command = "/bin/sh"
            args = ["-c", 'trap "echo stopping >> /out/journal; sleep {stopSeconds}; echo stopped >> /out/journal; exit 0" TERM; echo started >> /out/journal; while :; do sleep 0.1; done', "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(output, "/out")}]
            {stop}
            """);
        var service = new SupervisedService(profiles, name);
        services.Add(service);
        return service;
    }

    private Journal Journal => new(output);

    [Fact]
    public void Supervisor_killed_with_sigkill_takes_bwrap_with_it_and_the_daemon_is_stopped_gracefully()
    {
        var service = Daemon("orphaned", stopSeconds: 1);
        service.Start();
        Journal.WaitFor("started");
        var sandbox = service.Sandbox();

        int supervisor = service.SupervisorPid!.Value;
        Runner.Run("kill", ["-KILL", supervisor.ToString()]);

        // bwrap runs with --die-with-parent; its death is the relay's cue to stop the daemon.
        Journal.WaitFor("started", "stopping", "stopped");
        Processes.AssertAllGone(sandbox, "after the supervisor was killed");
        profiles.AssertLockReleased("orphaned");
        // supervise-daemon refuses a start while the PID in its pidfile exists. An init reaps the
        // killed supervisor at once, but this machine's PID 1 reaps nothing: its zombie would
        // stand for a running supervisor, so the test does what its reaping would mean.
        if (Processes.Read(supervisor) is { State: 'Z' })
            File.Delete(service.PidFile);
        // A new supervisor starts the service again at once.
        service.Start();
        Journal.WaitFor("started", "stopping", "stopped", "started");
    }

    [Fact]
    public void Daemon_that_dies_while_its_stop_is_under_way_ends_the_sandbox_at_once_without_waiting_for_the_timeout()
    {
        var service = Daemon("dying", stopSeconds: 20, stop: "[stop]\ntimeout = 60");
        service.Start();
        Journal.WaitFor("started");
        var sandbox = service.Sandbox();
        var (_, daemon) = service.RelayAndDaemon();

        service.Stop();
        Journal.WaitFor("started", "stopping");
        // Killed from outside in the middle of its 20 s shutdown, with 60 s left on the relay's clock.
        Runner.Run("kill", ["-KILL", daemon.Pid.ToString()]);

        Processes.AssertAllGone(sandbox, "after the daemon died during its stop", timeoutSeconds: 10);
        profiles.AssertLockReleased("dying");
        service.Start();
        Journal.WaitFor("started", "stopping", "started");
    }

    [Fact]
    public void Bwrap_killed_as_soon_as_it_runs_leaves_nothing_and_the_next_start_runs()
    {
        // bwrap killed the moment it is seen, while it sets up the sandbox: before its child
        // (the relay) runs or as it starts. Which one varies from run to run; each must be clean.
        var service = Daemon("cut", stopSeconds: 0);
        string link = profiles.Link("cut", Account.Service);
        // Stopped before its exec, so that bwrap is caught at once after it.
        using var start = Accounts.Start(Account.Service, link, [], profiles.Environment(), prelude: "kill -STOP $$");
        Assert.True(Processes.WaitUntil(() => Processes.Read(start.Id)?.State == 'T', 10), "the starter did not stop itself");
        Runner.Run("kill", ["-CONT", start.Id.ToString()]);
        // Catch bwrap as soon as it is bwrap, before or while it sets up the sandbox.
        Assert.True(Processes.WaitUntil(() => Processes.Executable(start.Id) == Processes.RealPath(Published.Bwrap), 10), "bwrap did not start");
        var tree = Processes.Descendants(start.Id).Append(Processes.Read(start.Id)!).ToList();
        Runner.Run("kill", ["-KILL", start.Id.ToString()]);
        start.WaitForExit();

        Processes.AssertAllGone(tree, "after bwrap was killed", timeoutSeconds: 10);
        profiles.AssertLockReleased("cut");
        // Killed before the daemon ran, nothing was journaled; after, the relay stopped it gracefully.
        var before = Journal.Lines();
        Assert.True(before.Length == 0 || before.SequenceEqual(["started", "stopping", "stopped"]), $"journal after the kill: [{string.Join(", ", before)}]");
        service.Start();
        Journal.WaitFor([.. before, "started"]);
    }
}
