using System.Diagnostics;
using Sandboxer.Tests.Support;
using Xunit.Abstractions;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Floods of HUP at a supervised service, straight at its relay and through `sandboxer
/// signal`, while its daemon works: the relay neither crashes nor loses the stop, and passes
/// each HUP on or lets it coalesce as the kernel coalesces a pending signal (never more HUPs
/// than were sent, and none lost that was sent after the last was handled). Host run only,
/// like <see cref="StormTests"/>. Each `sandboxer signal` is a process start, profile load and
/// /proc lookup: the suite sends $SANDBOXER_SIGNAL_FLOOD of them (1,000 by default, to keep CI
/// in budget); BENCHMARKS.md has a run of 10,000.
/// </summary>
public sealed class SignalStormTests : IDisposable
{
    private const int Flood = 10_000;
    private static readonly int SignalFlood =
        int.TryParse(Environment.GetEnvironmentVariable("SANDBOXER_SIGNAL_FLOOD"), out int n) && n >= 4 ? n : 1_000;

    private readonly ProfileDirectory profiles = new();
    private readonly string output;
    private readonly SupervisedService service;
    private readonly ITestOutputHelper log;

    public SignalStormTests(ITestOutputHelper log)
    {
        this.log = log;
        output = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "out"));
        // The daemon counts its HUPs (one line each) and keeps working between them.
        profiles.Write("flood", $"""
            command = "/bin/sh"
            args = ["-c", 'trap "echo hup >> /out/journal" HUP; trap "echo stopped >> /out/journal; exit 0" TERM; echo started >> /out/journal; while :; do n=$((n + 1)); echo $n > /out/work; sleep 0.05; done', "daemon"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(output, "/out")}]
            """);
        service = new SupervisedService(profiles, "flood");
    }

    public void Dispose()
    {
        service.Dispose();
        profiles.Dispose();
    }

    private Journal Journal => new(output);

    private int Hups() => Journal.Count("hup");

    private int Work() => int.TryParse(File.ReadAllText(Path.Combine(output, "work")).Trim(), out int n) ? n : 0;

    private (ProcessInfo Relay, ProcessInfo Daemon) Start()
    {
        service.Start();
        Journal.WaitForCount("started", 1, 15);
        return service.RelayAndDaemon();
    }

    /// <summary>After a flood: all still runs, the daemon worked on, and got between 1 and <paramref name="sent"/> HUPs.</summary>
    private void AssertSurvived(ProcessInfo relay, ProcessInfo daemon, int workBefore, int sent)
    {
        Assert.True(Processes.IsRunning(relay), "the relay died in the flood: " + service.ReadLog());
        Assert.True(Processes.IsRunning(daemon), "the daemon died in the flood: " + service.ReadLog());
        Assert.True(Processes.WaitUntil(() => Work() > workBefore + 2, 10), "the daemon stopped working");
        // The daemon's shell handles a HUP between its sleeps: give the last ones time to land.
        Thread.Sleep(500);
        int hups = Hups();
        Assert.True(hups is >= 1 && hups <= sent, $"{hups} HUPs reached the daemon of {sent} sent");
    }

    /// <summary>HUPs one at a time, each once the last was handled: none may coalesce, so each must arrive.</summary>
    private void AssertEachAcknowledged(Action send, int rounds = 20)
    {
        for (int i = 0; i < rounds; i++)
        {
            int before = Hups();
            send();
            Assert.True(Processes.WaitUntil(() => Hups() == before + 1, 10), $"HUP {i + 1} of {rounds} sent one at a time: the daemon counted {Hups() - before}, not 1");
        }
    }

    private void AssertStopsCleanly(ProcessInfo relay, Process? flooding = null)
    {
        var sandbox = service.Sandbox();
        service.Stop();
        Assert.True(Processes.WaitUntil(() => Journal.Count("stopped") == 1, 15), "the stop was lost: " + string.Join(", ", Journal.Lines().Distinct()));
        Processes.AssertAllGone(sandbox, "after the stop");
        if (flooding is not null)
        {
            flooding.Kill();
            flooding.WaitForExit();
        }
        Assert.False(Processes.IsRunning(relay));
        var signal = Runner.Run(profiles.Sandboxer, ["signal", "flood", "HUP"], profiles.Environment());
        Assert.True(signal.ExitCode == 69, "after the stop: " + signal);
    }

    /// <summary>A shell loop of kill(1), the shell's builtin: as fast as one process can send.</summary>
    private static string KillLoop(int pid, int count) =>
        $"i=0; while [ $i -lt {count} ]; do kill -HUP {pid} || exit 1; i=$((i + 1)); done";

    [Fact]
    public void Ten_thousand_hups_straight_at_the_relay_are_passed_on_or_coalesced_and_the_stop_still_works()
    {
        var (relay, daemon) = Start();
        int work = Work();

        var flood = Runner.Run("/bin/sh", ["-c", KillLoop(relay.Pid, Flood)], timeoutSeconds: 120);
        Assert.True(flood.ExitCode == 0, flood.ToString());

        AssertSurvived(relay, daemon, work, Flood);
        AssertEachAcknowledged(() => Runner.Run("kill", ["-HUP", relay.Pid.ToString()]));
        // The stop comes in the middle of another flood.
        var flooding = Runner.Start("/bin/sh", ["-c"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(KillLoop(relay.Pid, Flood))]);
        Thread.Sleep(200);
        AssertStopsCleanly(relay, flooding);
    }

    [Fact]
    public void A_flood_of_hups_through_sandboxer_signal_is_passed_on_or_coalesced_and_the_stop_still_works()
    {
        var (relay, daemon) = Start();
        int work = Work();

        // Four senders at once, as scripts that reload a service at the same moment would.
        string loop = $"i=0; while [ $i -lt {SignalFlood / 4} ]; do \"$0\" signal flood HUP || exit 1; i=$((i + 1)); done";
        string script = $"for j in 1 2 3 4; do sh -c '{loop}' \"$0\" & eval p$j=$!; done; " +
            "s=0; for j in 1 2 3 4; do eval wait \\$p$j || s=1; done; exit $s";
        var clock = Stopwatch.StartNew();
        var flood = Runner.Run("/bin/sh", ["-c", script, profiles.Sandboxer], profiles.Environment(), timeoutSeconds: 1800);
        Assert.True(flood.ExitCode == 0, flood.ToString());
        log.WriteLine($"{SignalFlood / 4 * 4} signals through sandboxer signal in {clock.Elapsed.TotalSeconds:F1} s");

        AssertSurvived(relay, daemon, work, SignalFlood);
        AssertEachAcknowledged(() => Assert.Equal(0, Runner.Run(profiles.Sandboxer, ["signal", "flood", "HUP"], profiles.Environment()).ExitCode));
        AssertStopsCleanly(relay);
    }
}
