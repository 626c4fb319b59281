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
    /// <summary>A start run directly (no supervisor) as <paramref name="who"/>: its daemon says "started" in out/NAME and exits.</summary>
    private RunResult StartOnce(string name, Account who)
    {
        // Root in the sandbox has no capability left to write the service account's directory.
        string outside = Out(who);
        profiles.Write(name, $"""
            command = "/bin/sh"
            args = ["-c", "echo started >> /out/{name}", "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(outside, "/out")}]
            """);
        return Accounts.Run(who, profiles.Link(name, who), [], profiles.Environment());
    }

    private string Out(Account who) => who == Account.Service ? output : Directory.CreateDirectory(Path.Combine(profiles.Root, "out-root")).FullName;

    /// <summary>Processes whose command line names this test's directory: a start's bwrap, relay or daemon.</summary>
    private List<ProcessInfo> Leftovers() =>
        Processes.All().Where(p => p.Pid != Environment.ProcessId && Processes.CommandLine(p.Pid).Any(a => a.Contains(profiles.Root, StringComparison.Ordinal))).ToList();

    /// <summary>Every inode and block of the filesystem at <paramref name="directory"/> taken by root's files in fill/.</summary>
    private static void Fill(string directory)
    {
        string fill = Directory.CreateDirectory(Path.Combine(directory, "fill")).FullName;
        try
        {
            using var blocks = File.Create(Path.Combine(fill, "blocks"));
            var chunk = new byte[4096];
            while (true)
                blocks.Write(chunk);
        }
        catch (IOException)
        {
            // ENOSPC: no block left.
        }
        try
        {
            for (int i = 0; ; i++)
                File.Create(Path.Combine(fill, $"inode{i}")).Dispose();
        }
        catch (IOException)
        {
            // ENOSPC: no inode left.
        }
    }

    [Fact]
    public void A_full_state_filesystem_refuses_a_first_start_clearly_leaves_nothing_and_does_not_stop_later_starts()
    {
        // A tiny tmpfs as the state root (root's, 0755, as /run/sandboxer), with room for the
        // service account's directory, which start_pre makes, and no more once filled.
        string state = profiles.State;
        var mount = Runner.Run("mount", ["-t", "tmpfs", "-o", "size=64k,nr_inodes=64,mode=0755", "sandboxer-full", state]);
        Assert.True(mount.ExitCode == 0, mount.ToString());
        try
        {
            profiles.PrepareState("full-user", Account.Service);
            Fill(state);
            foreach (var (name, who, what) in new[] { ("full-root", Account.Root, "state directory"), ("full-user", Account.Service, "lock") })
            {
                var refused = StartOnce(name, who);
                Assert.True(refused.ExitCode == 73, $"{name} on a full filesystem: {refused}");
                Assert.Contains($"{state}/{name}", refused.Stderr);
                Assert.Contains($"cannot create the relay's {what}: No space left on device", refused.Stderr);
                Assert.DoesNotContain("   at ", refused.Stderr);
            }
            Assert.Empty(Directory.GetFiles(Out(Account.Root)).Concat(Directory.GetFiles(Out(Account.Service))));
            Assert.Empty(Leftovers());

            // Space freed: both start; then, with their directory and lock made, the filesystem full
            // again does not matter, as a start creates nothing more.
            Directory.Delete(Path.Combine(state, "fill"), recursive: true);
            foreach (var name in new[] { "full-root", "full-user" })
            {
                var freed = StartOnce(name, name == "full-root" ? Account.Root : Account.Service);
                Assert.True(freed.ExitCode == 0, $"{name} once there is space: {freed}");
            }
            Fill(state);
            foreach (var name in new[] { "full-root", "full-user" })
            {
                var again = StartOnce(name, name == "full-root" ? Account.Root : Account.Service);
                Assert.True(again.ExitCode == 0, $"{name} with its lock made, on a full filesystem: {again}");
                profiles.AssertLockReleased(name);
            }
            Assert.Equal(["started", "started"], new Journal(Out(Account.Root), "full-root").Lines());
            Assert.Equal(["started", "started"], new Journal(Out(Account.Service), "full-user").Lines());
            Assert.Empty(Leftovers());
        }
        finally
        {
            Runner.Run("umount", ["-l", state]);
        }
    }
    /// <summary>
    /// A version of a profile whose every part says <paramref name="version"/>: the daemon's
    /// argument, environment entries at its start and end, and a padding that makes the two
    /// versions differ in length, so that a start that read part of one and part of the other
    /// would show it.
    /// </summary>
    private string Version(string version, int padding) => $"""
        command = "/bin/sh"
        args = ["-c", 'echo "$FIRST $0 $LAST"', "{version}"]
        [sandbox]
        {ProfileDirectory.ShellMounts}
        [sandbox.setenv]
        FIRST = "{version}"
        PAD = "{new string('x', padding)}"
        LAST = "{version}"
        """;

    [Fact]
    public void A_profile_replaced_by_rename_while_starts_read_it_gives_each_start_the_old_or_the_new_one_whole()
    {
        string file = profiles.Write("replaced", Version("old", 10));
        string[] texts = [Version("old", 10), Version("new", 5000)];
        string sandboxer = profiles.Sandboxer;
        string link = profiles.Link("replaced");
        var shown = new string[2];
        for (int v = 0; v < 2; v++)
        {
            profiles.Write("replaced", texts[v]);
            var result = Runner.Run(sandboxer, ["show", "replaced"], profiles.Environment());
            Assert.True(result.ExitCode == 0, result.ToString());
            shown[v] = result.Output;
        }
        Assert.NotEqual(shown[0], shown[1]);

        // An admin's editor or package manager: a new file written beside it, then renamed over it.
        using var stop = new CancellationTokenSource();
        int renames = 0;
        var admin = new Thread(() =>
        {
            string next = file + ".new";
            for (int v = 0; !stop.IsCancellationRequested; v ^= 1, renames++)
            {
                File.WriteAllText(next, texts[v]);
                File.SetUnixFileMode(next, (UnixFileMode)Convert.ToInt32("644", 8));
                File.Move(next, file, overwrite: true);
                // A rename a millisecond: many within each start, without taking a core.
                Thread.Sleep(1);
            }
        });
        admin.Start();
        // 200 shows and 40 real starts (bwrap and the relay included: the daemon says what it
        // was given), one shell loop for all, each followed by its exit status and a separator.
        const string Loop = """
            i=0; while [ $i -lt 200 ]; do
                "$0" show replaced 2>&1; echo "exit $?"; echo %%
                if [ $((i % 5)) = 0 ]; then "$1" 2>&1; echo "exit $?"; echo %%; fi
                i=$((i + 1))
            done
            """;
        RunResult loop;
        try
        {
            loop = Runner.Run("/bin/sh", ["-c", Loop, sandboxer, link], profiles.Environment(), timeoutSeconds: 300);
        }
        finally
        {
            stop.Cancel();
            admin.Join();
        }
        Assert.True(loop.ExitCode == 0, loop.ToString());
        string[] whole = [shown[0] + "exit 0\n", shown[1] + "exit 0\n", "old old old\nexit 0\n", "new new new\nexit 0\n"];
        var counts = new int[whole.Length];
        var outcomes = loop.Output.Split("%%\n")[..^1];
        foreach (var outcome in outcomes)
        {
            int which = Array.IndexOf(whole, outcome);
            Assert.True(which >= 0, $"during the renames, a start gave neither the old nor the new profile whole:\n{outcome}");
            counts[which]++;
        }
        Assert.Equal(240, outcomes.Length);
        Assert.True(counts[0] > 0 && counts[1] > 0 && counts[2] + counts[3] == 40,
            $"over {renames} renames: show composed the old profile {counts[0]} times and the new one {counts[1]}; starts ran the old {counts[2]} times and the new {counts[3]}");
        Assert.Empty(Leftovers());
    }

    /// <summary>
    /// Sandboxer passes nothing through bwrap's --info-fd or --json-status-fd: supervise-daemon
    /// watches bwrap's own PID (the launcher became bwrap), the relay is bwrap's child and the
    /// daemon the relay's, and `signal` asks the kernel. What the launcher does hand the sandbox
    /// through a descriptor is the daemon's argument file (and the confinement file, whose decoder
    /// ConfinementFileTests cuts short): the relay, under real bwrap, starts from the whole file
    /// only, and refuses one cut short with a clear error, starting nothing.
    /// </summary>
    [Fact]
    public void An_argument_file_cut_short_is_refused_by_the_relay_and_starts_nothing()
    {
        string dir = Directory.CreateDirectory(Path.Combine(profiles.Root, "channel")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "lock"), []);
        byte[] whole = System.Text.Encoding.UTF8.GetBytes($"/bin/sh\0-c\0echo whole; echo ran >> {output}/ran\0");
        RunResult Relay(byte[] arguments)
        {
            File.WriteAllBytes(Path.Combine(dir, "args"), arguments);
            string[] bwrap = ["--ro-bind", "/", "/", "--dev", "/dev", "--bind", output, output, "--unshare-pid", "--as-pid-1", "--die-with-parent",
                profiles.Sandboxer, "relay", "--signal", "15", "--timeout", "5", "--lock-fd", "3", "--args-fd", "4", "--"];
            return Runner.Run(Published.Bwrap, bwrap, prelude: $"exec 3<'{dir}/lock' 4<'{dir}/args'");
        }

        var ran = Relay(whole);
        Assert.True(ran.ExitCode == 0 && ran.Output == "whole\n", ran.ToString());
        foreach (int length in new[] { 0, 1, whole.Length / 2, whole.Length - 1 })
        {
            var cut = Relay(whole[..length]);
            Assert.True(cut.ExitCode == 64, $"cut to {length} bytes: {cut}");
            Assert.Equal("sandboxer: relay: the daemon's argument file is not NUL-terminated\n", cut.Stderr);
        }
        Assert.Equal(["ran"], new Journal(output, "ran").Lines());
        Assert.Empty(Leftovers());
    }
}
