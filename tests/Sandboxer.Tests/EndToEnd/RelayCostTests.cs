using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>What the stop relay costs a service over its life (its memory is in build/BENCHMARKS.md).</summary>
public sealed class RelayCostTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    /// <summary>
    /// The relay lives as long as the service: while the daemon idles it must not wake at all
    /// (no timer, no polling). Summed over all its threads, as the runtime has a few.
    /// </summary>
    [Fact]
    public void The_relay_does_not_wake_up_while_the_daemon_idles()
    {
        profiles.Write("idle", $"""
            command = "/bin/sleep"
            args = ["100000"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            """);
        using var service = new SupervisedService(profiles, "idle");
        service.Start();
        Assert.True(Processes.WaitUntil(() => Processes.Descendants(service.ChildPid!.Value).Any(p => p.Name == "sleep"), 15), "the daemon did not start");
        var relay = Processes.Descendants(service.ChildPid!.Value).First(p => p.ParentPid == service.ChildPid);
        // Let the start settle: the runtime's threads finish what the start gave them.
        Thread.Sleep(1000);

        long before = ContextSwitches(relay.Pid);
        Thread.Sleep(3000);
        long after = ContextSwitches(relay.Pid);

        Assert.True(after == before, $"the idle relay woke {after - before} times in 3 s");
    }

    /// <summary>
    /// What the relay does per signal leaves no descriptor and no thread behind: the runtime runs
    /// each handler on its thread pool, which the relay holds to one thread (five in all), so a
    /// flood no longer adds threads. Its GC heap does take the few small objects of each handler
    /// until a collection: private dirty memory grows under a flood (by 0.7 to 4 MiB over 90,000
    /// HUPs here, see build/BENCHMARKS.md), which must stay within 8 MiB, the GC's budget and more.
    /// </summary>
    [Fact]
    public void Floods_of_signals_leave_the_relay_no_more_descriptors_or_threads_and_its_memory_bounded()
    {
        profiles.Write("flooded", $"""
            command = "/bin/sh"
            args = ["-c", 'trap ":" HUP; while :; do sleep 1; done', "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            """);
        using var service = new SupervisedService(profiles, "flooded");
        service.Start();
        Assert.True(Processes.WaitUntil(() => Processes.Descendants(service.ChildPid!.Value).Any(p => p.Name == "sleep"), 15), "the daemon did not start");
        var (relay, daemon) = service.RelayAndDaemon();
        Thread.Sleep(500);
        var start = Footprint(relay.Pid);
        void Flood(int count)
        {
            var flood = Runner.Run("/bin/sh", ["-c", $"i=0; while [ $i -lt {count} ]; do kill -HUP {relay.Pid} || exit 1; i=$((i + 1)); done"], timeoutSeconds: 120);
            Assert.True(flood.ExitCode == 0, flood.ToString());
            // The relay passes on the last HUPs before its state is read.
            Thread.Sleep(500);
        }

        Flood(60_000);
        var first = Footprint(relay.Pid);
        Flood(30_000);
        var after = Footprint(relay.Pid);

        Assert.True(Processes.IsRunning(relay) && Processes.IsRunning(daemon), "the relay or the daemon died in the floods: " + service.ReadLog());
        Assert.True(after.Dirty - start.Dirty <= 8192, $"the relay's private dirty memory grew from {start.Dirty} KiB to {first.Dirty} KiB over 60,000 HUPs, then to {after.Dirty} KiB over 30,000 more");
        Assert.Equal(start.Descriptors, first.Descriptors);
        Assert.Equal(start.Descriptors, after.Descriptors);
        Assert.Equal(first.Threads, after.Threads);
        Assert.True(after.Threads <= 5, $"the relay has {after.Threads} threads after the floods");
    }

    /// <summary>Private dirty memory (KiB), open descriptors and threads of a process (root reads them even of an undumpable one).</summary>
    private static (long Dirty, int Descriptors, int Threads) Footprint(int pid)
    {
        var dirty = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Private_Dirty:", StringComparison.Ordinal));
        return (long.Parse(dirty.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]),
            Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length,
            Directory.GetDirectories($"/proc/{pid}/task").Length);
    }

    /// <summary>Voluntary and involuntary context switches of every thread of a process.</summary>
    private static long ContextSwitches(int pid)
    {
        long sum = 0;
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
            {
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    sum += long.Parse(line[(line.IndexOf(':') + 1)..].Trim());
            }
        }
        return sum;
    }
}
