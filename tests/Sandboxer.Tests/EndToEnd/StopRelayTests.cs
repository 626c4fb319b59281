using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The stop relay under OpenRC's real supervise-daemon, the service running as the
/// unprivileged account: a stop reaches the daemon as its stop signal, a daemon that ignores
/// it is killed after the timeout, a restart waits for the old sandbox, signals reach the
/// daemon, and nothing is left behind.
/// </summary>
public class StopRelayTests : IDisposable
{
    private readonly ProfileDirectory profiles;
    private readonly string output;
    private readonly List<SupervisedService> services = [];

    public StopRelayTests() : this(Published.Binary)
    {
    }

    /// <param name="launcher">The binary that launches the sandbox and is its relay (Arm64StopRelayTests: the arm64 one).</param>
    protected StopRelayTests(string launcher)
    {
        profiles = new ProfileDirectory(launcher: launcher);
        output = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "out"));
    }

    /// <summary>
    /// Whether the exec failure is worded. The shipped [limits] have the relay start the daemon
    /// through `sandboxer confine`, which words its own exec's failure, emulated or not. (Without
    /// it glibc's posix_spawn hears the error from the child through the memory vfork shares;
    /// qemu-user emulates vfork with a plain fork, so an emulated relay would see only the
    /// child's 127: python/cpython#131398, rust-lang/rust#90825.)
    /// </summary>
    protected virtual bool RelayWordsExecFailures => true;

    public void Dispose()
    {
        foreach (var service in services)
            service.Dispose();
        profiles.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A shell daemon that writes what happens to it into /out/journal, one word a line.</summary>
    private SupervisedService Daemon(string name, string script, int timeout = 10)
    {
        profiles.Write(name, $"""
            command = "/bin/sh"
            args = ["-c", '{script}; echo started >> /out/journal; while :; do sleep 0.1; done', "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(output, "/out")}]
            [stop]
            timeout = {timeout}
            """);
        var service = new SupervisedService(profiles, name);
        services.Add(service);
        return service;
    }

    private string[] Journal()
    {
        string file = Path.Combine(output, "journal");
        return File.Exists(file) ? File.ReadAllLines(file) : [];
    }

    private void WaitForJournal(params string[] expected) =>
        Assert.True(Processes.WaitUntil(() => Journal().SequenceEqual(expected), 15),
            $"the daemon's journal is [{string.Join(", ", Journal())}], not [{string.Join(", ", expected)}]");

    [Fact]
    public void Supervisor_stop_reaches_the_daemon_as_sigterm_and_it_shuts_down_cleanly()
    {
        var service = Daemon("clean", "trap \"echo stopped-cleanly >> /out/journal; exit 0\" TERM");
        service.Start();
        WaitForJournal("started");
        var sandbox = service.Sandbox();

        service.Stop();

        WaitForJournal("started", "stopped-cleanly");
        Processes.AssertAllGone(sandbox, "after the daemon shut down");
    }

    [Fact]
    public void Daemon_that_ignores_sigterm_is_killed_after_the_timeout()
    {
        var service = Daemon("stubborn", "trap \"echo ignored-term >> /out/journal\" TERM", timeout: 6);
        service.Start();
        WaitForJournal("started");
        var sandbox = service.Sandbox();
        // The relay's own child: a shell forked by the daemon for its sleep is named sh too, for a moment.
        var relay = sandbox.Single(p => p.ParentPid == service.ChildPid);
        var daemon = sandbox.Single(p => p.ParentPid == relay.Pid);

        // supervise-daemon --stop returns a second or two after bwrap died, when it has reaped it.
        service.Stop();
        WaitForJournal("started", "ignored-term");

        // The relay gives it its time before SIGKILL...
        Thread.Sleep(1000);
        Assert.True(Processes.IsRunning(daemon), "the daemon was killed before its stop timeout of 6 s");
        // ...then kills everything.
        Processes.AssertAllGone(sandbox, "after the stop timeout");
        Assert.Equal(["started", "ignored-term"], Journal());
    }

    [Fact]
    public void Immediate_restart_waits_until_the_old_sandbox_has_exited()
    {
        var service = Daemon("slow", "trap \"echo stopping >> /out/journal; sleep 2; echo stopped >> /out/journal; exit 0\" TERM");
        service.Start();
        WaitForJournal("started");
        var old = service.Sandbox();

        service.Stop();
        service.StartSupervisor();

        // Without the lock the new daemon would start while the old one is still stopping.
        WaitForJournal("started", "stopping", "stopped", "started");
        Assert.DoesNotContain(old, Processes.IsRunning);
    }

    [Fact]
    public void Sandboxer_signal_delivers_hup_to_the_running_daemon()
    {
        var service = Daemon("reload", "trap \"echo reloaded >> /out/journal\" HUP; trap \"exit 0\" TERM");
        service.Start();
        WaitForJournal("started");

        var result = Runner.Run(profiles.Sandboxer, ["signal", "reload", "HUP"], profiles.Environment());

        Assert.True(result.ExitCode == 0, result.ToString());
        WaitForJournal("started", "reloaded");
        // The sandbox lives on: a reload is not a stop.
        Assert.True(Processes.IsRunning(Processes.Read(service.ChildPid!.Value)!), "bwrap died on the reload");
    }

    [Fact]
    public void Signal_to_a_service_that_is_not_running_fails_with_exit_69()
    {
        Daemon("idle", "true");
        var result = Runner.Run(profiles.Sandboxer, ["signal", "idle", "HUP"], profiles.Environment());
        Assert.Equal(69, result.ExitCode);
        Assert.Equal($"sandboxer: idle: not running ({profiles.State}/idle/lock does not exist)\n", result.Stderr);
    }

    [Fact]
    public void Orphans_of_the_daemon_are_reaped_and_no_zombie_is_left()
    {
        // Each subshell exits at once, leaving its sleep to the sandbox's PID 1: the relay.
        var service = Daemon("orphans", "trap \"exit 0\" TERM; (sleep 0.2 &); (sleep 0.3 &); (true &)");
        service.Start();
        WaitForJournal("started");
        var relay = Processes.Descendants(service.ChildPid!.Value).First();

        // The sleeps are over after 0.3 s; a loaded machine may take a moment to reap them, but a
        // zombie still there after 10 s is one the relay never reaps.
        Thread.Sleep(500);
        List<ProcessInfo> zombies = [];
        Processes.WaitUntil(() => (zombies = Processes.Descendants(relay.Pid).Where(p => p.State == 'Z').ToList()).Count == 0);
        Assert.True(zombies.Count == 0, "zombies in the sandbox: " + string.Join(", ", zombies));
        var sandbox = service.Sandbox();

        service.Stop();
        Processes.AssertAllGone(sandbox, "after stop");
    }

    [Fact]
    public void State_directory_of_another_user_is_refused_so_nobody_can_plant_links_in_it()
    {
        Daemon("foreign", "true");
        string state = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.State, "foreign"), "700");

        var result = Runner.Run(profiles.Sandboxer, ["run", "foreign"], profiles.Environment());

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {state}: not trusted: owned by uid {Accounts.ServiceUid}, not by uid 0, which runs the service; " +
            $"as root: chown 0 {state}, or remove it\n", result.Stderr);
        Assert.Empty(Journal());
    }

    [Fact]
    public void Unprivileged_service_without_its_state_directory_is_told_how_to_make_it()
    {
        // A root-owned state root, as /run/sandboxer is, that the service's user cannot write.
        string root = Accounts.OwnedDirectory(Account.Root, Path.Combine(profiles.Root, "rootstate"));
        profiles.Write("unprepared", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n[stop]\nstate = \"{root}\"\n");

        var result = Accounts.Run(Account.Service, profiles.Link("unprepared"), [], profiles.Environment());

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {root}/unprepared: missing: only root makes a service's state directory: " +
            $"create it for the service's user, as OpenRC's start_pre can: checkpath -d -o \"$command_user\" -m 0700 {root}/unprepared\n", result.Stderr);
    }

    [Fact]
    public void A_daemon_missing_from_the_sandbox_fails_with_the_relays_message_and_exit_127()
    {
        profiles.Write("absent", $"command = \"/opt/not/bound\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
        var result = Runner.Run(profiles.Link("absent"), Array.Empty<string>(), profiles.Environment());
        Assert.True(result.ExitCode == 127, result.ToString());
        Assert.Equal(RelayWordsExecFailures ? "sandboxer: cannot execute /opt/not/bound: No such file or directory\n" : "", result.Stderr);
    }

    [Theory]
    [InlineData("exit 3", 3)]
    [InlineData("kill -USR1 $$", 138)]
    public void The_daemons_exit_status_becomes_the_sandboxs(string script, int status)
    {
        profiles.Write("exiter", $"""
            command = "/bin/sh"
            args = ["-c", "{script}"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            """);
        var result = Runner.Run(profiles.Link("exiter"), Array.Empty<string>(), profiles.Environment());
        Assert.True(status == result.ExitCode, result.ToString());
    }
}
