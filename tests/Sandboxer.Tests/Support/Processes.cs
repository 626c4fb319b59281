using System.Diagnostics;

namespace Sandboxer.Tests.Support;

/// <param name="StartTime">Clock ticks after boot: with the PID, it names one process even if the PID is reused.</param>
public sealed record ProcessInfo(int Pid, int ParentPid, char State, int Session, ulong StartTime, string Name)
{
    public override string ToString() => $"{Pid} ({Name}, state {State}, parent {ParentPid})";
}

/// <summary>The host's view of processes, read from /proc as root.</summary>
public static class Processes
{
    public static ProcessInfo? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
        var fields = stat[(close + 2)..].Split(' ');
        return new ProcessInfo(pid, int.Parse(fields[1]), fields[0][0], int.Parse(fields[3]), ulong.Parse(fields[19]), stat[(open + 1)..close]);
    }

    public static List<ProcessInfo> All()
    {
        var all = new List<ProcessInfo>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && Read(pid) is { } info)
                all.Add(info);
        }
        return all;
    }

    /// <summary>Children, their children and so on.</summary>
    public static List<ProcessInfo> Descendants(int pid)
    {
        var all = All();
        var found = new List<ProcessInfo>();
        var parents = new Queue<int>([pid]);
        while (parents.Count > 0)
        {
            int parent = parents.Dequeue();
            foreach (var child in all.Where(p => p.ParentPid == parent))
            {
                found.Add(child);
                parents.Enqueue(child.Pid);
            }
        }
        return found;
    }

    /// <summary>
    /// Whether the process still runs. A zombie has exited: reaping it is its parent's or
    /// init's job (the container init here reaps none), so it counts as gone.
    /// </summary>
    public static bool IsRunning(ProcessInfo process) =>
        Read(process.Pid) is { } now && now.StartTime == process.StartTime && now.State is not ('Z' or 'X');

    /// <summary>Waits until none of the processes runs, and fails naming those that still do.</summary>
    public static void AssertAllGone(IReadOnlyCollection<ProcessInfo> processes, string when, int timeoutSeconds = 15)
    {
        WaitUntil(() => !processes.Any(IsRunning), timeoutSeconds);
        var left = processes.Where(IsRunning).ToList();
        Assert.True(left.Count == 0, $"still running {when}: {string.Join(", ", left)}");
    }

    /// <summary>The program a process runs, as /proc/PID/exe names it.</summary>
    public static string? Executable(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/exe").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A process's arguments as it was started (an emulated one: qemu's, which name the program it runs).</summary>
    public static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return [];
        }
    }

    public static int RealUid(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>A namespace's identity, such as "net:[4026531840]".</summary>
    public static string Namespace(int pid, string kind) => new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget!;

    /// <summary>The real path of a program (every link resolved), to compare with <see cref="Executable"/>.</summary>
    public static string RealPath(string path)
    {
        var result = Runner.Run("readlink", ["-f", path]);
        return result.ExitCode == 0 ? result.Output.TrimEnd('\n') : throw new InvalidOperationException($"readlink -f {path}: {result}");
    }

    /// <summary>Polls every 50 ms until the condition holds; false if it still does not after the timeout.</summary>
    public static bool WaitUntil(Func<bool> condition, int timeoutSeconds = 10)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(timeoutSeconds))
                return false;
            Thread.Sleep(50);
        }
        return true;
    }
}
