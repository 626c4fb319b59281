using System.Diagnostics;
using Sandboxer.Composition;
using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// Runs a service once in its sandbox under `strace -f` and returns strace's log. strace goes
/// in with its loader and libraries under /run/sandboxer-trace, found by asking its loader
/// (`ld.so --list`, glibc and musl alike) until the ELF resolver can say it; the log is written
/// to a directory of the caller's bound there. The sandbox is the profile's, with two changes:
/// no stop relay (trace stops it itself, with the whole sandbox: die-with-parent) and those binds.
/// What libraries = "auto" binds is bound here too, exactly as run binds it.
/// </summary>
public static class TraceRun
{
    public const string Inside = "/run/sandboxer-trace";

    private static readonly string[] Candidates = ["/usr/bin/strace", "/bin/strace"];

    /// <param name="libraries">The profile's <see cref="Elf.LibraryPlan"/> mounts, computed before this call adds strace's binds.</param>
    public static string Run(Profile profile, IReadOnlyList<MountOp> libraries, IReadOnlyList<string> callerArgs, int seconds)
    {
        string strace = Array.Find(Candidates, File.Exists)
            ?? throw new SandboxerException(ExitCodes.Unavailable, "strace is not installed: apk add strace, or apt-get install strace");
        var output = Directory.CreateTempSubdirectory("sandboxer-trace-");
        try
        {
            var daemon = Wrap(profile, strace, output.FullName);
            foreach (var arg in callerArgs)
                daemon.Add(System.Text.Encoding.UTF8.GetBytes(arg));
            profile.Stop.Relay = false;
            profile.Flags["die-with-parent"] = new(true, default);
            var argv = Composer.Compose(profile, daemon, libraries: libraries);
            Start(argv, seconds);
            string log = Path.Combine(output.FullName, "log");
            return File.Exists(log) ? File.ReadAllText(log) : "";
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>The daemon's command line behind strace, and the binds strace needs, added to the profile's mounts.</summary>
    private static List<byte[]> Wrap(Profile profile, string strace, string output)
    {
        void Bind(string option, string from, string to) => profile.Mounts.Add(new MountOp(option, [from, to], to, null, 0, [], default));
        var words = new List<string>();
        Bind("ro-bind", strace, Inside + "/strace");
        if (Relay.SelfImage.Interpreter(strace) is { } loader)
        {
            Bind("ro-bind", loader, Inside + "/ld.so");
            foreach (var (name, path) in Libraries(loader, strace))
                Bind("ro-bind", path, $"{Inside}/lib/{name}");
            words.AddRange([Inside + "/ld.so", "--library-path", Inside + "/lib"]);
        }
        Bind("bind", output, Inside + "/out");
        words.AddRange([Inside + "/strace", "-f", "-qq", "-s", "4096", "-o", Inside + "/out/log", "--"]);
        var daemon = words.Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        daemon.AddRange(Composer.Daemon(profile, []));
        return daemon;
    }

    /// <summary>"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" lines of `ld.so --list`, as (name, path).</summary>
    public static List<(string Name, string Path)> ParseList(string text)
    {
        var libraries = new List<(string, string)>();
        foreach (var line in text.Split('\n'))
        {
            int arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            int address = line.LastIndexOf(" (", StringComparison.Ordinal);
            if (arrow < 0 || address <= arrow)
                continue;
            string name = line[..arrow].Trim();
            string path = line[(arrow + 4)..address].Trim();
            // musl lists its libc as the loader itself, which is bound already.
            if (path.StartsWith('/') && !name.Contains('/'))
                libraries.Add((name, path));
        }
        return libraries;
    }

    private static List<(string, string)> Libraries(string loader, string binary)
    {
        var info = new ProcessStartInfo(loader) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--list");
        info.ArgumentList.Add(binary);
        using var process = Process.Start(info)!;
        string text = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? ParseList(text)
            : throw new SandboxerException(ExitCodes.Software, $"{loader} --list {binary} failed (exit {process.ExitCode}): cannot find strace's libraries");
    }

    /// <summary>bwrap with the daemon's output on stderr (stdout is trace's own), stopped after <paramref name="seconds"/>.</summary>
    private static void Start(List<byte[]> argv, int seconds)
    {
        var info = new ProcessStartInfo(System.Text.Encoding.UTF8.GetString(argv[0]))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var word in argv.Skip(1))
            info.ArgumentList.Add(System.Text.Encoding.UTF8.GetString(word));
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(Console.OpenStandardError());
        if (!process.WaitForExit(seconds * 1000))
        {
            // strace writes each line as it ends: nothing is lost to the kill.
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        copy.Wait(1000);
    }
}
