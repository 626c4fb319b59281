using System.Diagnostics;

namespace Sandboxer.Tests.Support;

/// <summary>
/// A real daemon started through its bwrap-NAME link by the service account, in the foreground as
/// a supervisor starts it, its stdout and stderr collected; stopped as a supervisor stops it.
/// </summary>
public sealed class SandboxedDaemon : IDisposable
{
    private readonly List<string> output = [];
    private readonly string name;

    /// <summary>bwrap's process (the link execs it).</summary>
    public Process Bwrap { get; }

    private SandboxedDaemon(string name, Process bwrap)
    {
        this.name = name;
        Bwrap = bwrap;
        bwrap.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (output) output.Add(line.Data); };
        bwrap.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (output) output.Add(line.Data); };
        bwrap.BeginOutputReadLine();
        bwrap.BeginErrorReadLine();
    }

    public static SandboxedDaemon Start(ProfileDirectory profiles, string name, IEnumerable<string> args) =>
        new(name, Accounts.Start(Account.Service, profiles.Link(name, Account.Service), args, profiles.Environment()));

    /// <summary>What the daemon and the sandbox printed so far.</summary>
    public string Output
    {
        get { lock (output) return string.Join("\n", output); }
    }

    /// <summary>
    /// Waits until <paramref name="ready"/> holds, and fails with the output and the daemon's
    /// <paramref name="log"/> (where it keeps one apart) if the sandbox ends first or it does not
    /// within <paramref name="timeoutSeconds"/>.
    /// </summary>
    public void WaitUntil(Func<bool> ready, string what, Func<string>? log = null, int timeoutSeconds = 30)
    {
        bool done = Processes.WaitUntil(() => ready() || Bwrap.HasExited, timeoutSeconds) && !Bwrap.HasExited;
        Assert.True(done, $"{name}: {what} within {timeoutSeconds}s{(Bwrap.HasExited ? $" (the sandbox exited with {Bwrap.ExitCode})" : "")}\n"
            + $"output:\n{Output}" + (log is null ? "" : $"\nlog:\n{log()}"));
    }

    /// <summary>SIGTERM to bwrap, as supervise-daemon sends it; then nothing of the sandbox is left.</summary>
    public void Stop()
    {
        var tree = Processes.Descendants(Bwrap.Id).Append(Processes.Read(Bwrap.Id)!).ToList();
        Runner.Run("kill", ["-TERM", Bwrap.Id.ToString()]);
        Assert.True(Bwrap.WaitForExit(30_000), $"bwrap ({name}) did not exit within 30s of SIGTERM");
        Processes.AssertAllGone(tree, $"after SIGTERM to bwrap ({name})", 5);
    }

    public void Dispose()
    {
        if (!Bwrap.HasExited)
            Bwrap.Kill(entireProcessTree: true);
        Bwrap.Dispose();
    }
}
