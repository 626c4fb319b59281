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
