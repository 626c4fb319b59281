using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>One profile line trace proposes, and why.</summary>
/// <param name="Key">The [sandbox] key: ro-bind, bind, proc or share-net.</param>
/// <param name="Path">The host path (the same inside), or null for share-net.</param>
public sealed record Suggestion(string Key, string? Path, string Reason)
{
    /// <summary>The line as it goes under [sandbox], then why, as a TOML comment.</summary>
    public string Line => (Key switch
    {
        "share-net" => "share-net = true",
        "proc" => $"proc = \"{Path}\"",
        _ => $"{Key} = [\"{Path}\"]",
    }) + "  # " + Reason;
}

/// <summary>
/// From the calls that failed in the sandbox to the profile lines that would grant them: only
/// for paths no mount decides yet and that exist on the host (or, for a file being created, whose
/// directory does). A read is granted by ro-bind, a write by bind, /proc by proc, a network call
/// by share-net. Never edits a profile: the admin reads, decides and applies.
/// </summary>
public static class TraceAdvice
{
    /// <summary>What is at a host path: nothing, a directory, or something else.</summary>
    public enum HostKind { None, Directory, Other }

    /// <summary>The errors a missing network gives; another errno is the daemon's own business.</summary>
    private static readonly string[] NetworkErrors = ["ENETUNREACH", "ECONNREFUSED", "EHOSTUNREACH", "EADDRNOTAVAIL", "ETIMEDOUT", "ENETDOWN"];

    public static List<Suggestion> From(IEnumerable<FailedCall> calls, Profile profile, Func<string, HostKind>? host = null)
    {
        host ??= Host;
        var view = new SandboxView(profile);
        bool sharesNet = profile.IsSet("unshare-all") ? profile.IsSet("share-net") : !profile.IsSet("unshare-net");
        var found = new List<Suggestion>();
        foreach (var call in calls)
        {
            if (call.Reach == Reach.Network)
            {
                if (!sharesNet && Array.IndexOf(NetworkErrors, call.Errno) >= 0)
                    found.Add(new("share-net", null, $"{call.Call} to {call.Target}: {call.Errno}: the sandbox has a network of its own"));
                continue;
            }
            if (Suggest(call, SandboxView.Normalize(call.Target), view, host) is { } suggestion)
                found.Add(suggestion);
        }
        return Tidy(found);
    }

    private static Suggestion? Suggest(FailedCall call, string path, SandboxView view, Func<string, HostKind> host)
    {
        string what = $"{call.Call} {Describe(call.Reach)}: {call.Errno}";
        var op = view.Covering(path);
        if (op is not null)
        {
            // The path is in the sandbox and exists; a read-only mount refused a write.
            if (call.Errno == "EROFS" && op.Option.StartsWith("ro-bind", StringComparison.Ordinal) && view.HostPath(path) == path)
                return host(path) == HostKind.None ? new("bind", Parent(path), $"{what}: creating {path} in a read-only mount")
                    : new("bind", path, $"{what}: the mount at {op.Destination} is read-only");
            // Executing a file that is there fails with ENOENT when its ELF interpreter is not.
            if (call.Reach == Reach.Execute && call.Errno == "ENOENT" && view.HostPath(path) is { } binary && host(binary) == HostKind.Other
                && Interpreter(binary) is { } interpreter && view.Covering(interpreter) is null && host(interpreter) != HostKind.None)
                return new("ro-bind", interpreter, $"{call.Call} {path}: ENOENT: its ELF interpreter {interpreter} is not in the sandbox");
            return null;
        }
        if (call.Errno is not ("ENOENT" or "EROFS" or "EACCES"))
            return null;
        var kind = host(path);
        if (kind == HostKind.None)
        {
            // A file the daemon creates: its directory must be there, writable.
            string parent = Parent(path);
            return call.Reach == Reach.Write && parent != "/" && view.Covering(parent) is null && host(parent) == HostKind.Directory
                ? new("bind", parent, $"{what}: creating {path}") : null;
        }
        if (SandboxView.Contains("/proc", path))
            return new("proc", "/proc", $"{what}: {path} is in /proc");
        if (call.Call is "connect" or "sendto" or "sendmsg")
            return new("ro-bind", Parent(path), $"{what}: the socket {path}; binding its directory keeps a socket made again after a restart reachable");
        return call.Reach switch
        {
            Reach.Write => new("bind", path, $"{what}: {path} is written"),
            Reach.Execute => new("ro-bind", path, $"{what}: {path} is executed"),
            _ => new("ro-bind", path, $"{what}: {path} is read" + (IsLibrary(path) ? " (a shared library)" : "")),
        };
    }

    /// <summary>One line per path, the strongest kept (bind over ro-bind); paths under a directory already proposed are dropped.</summary>
    private static List<Suggestion> Tidy(List<Suggestion> found)
    {
        var kept = new List<Suggestion>();
        foreach (var s in found)
        {
            if (s.Key is "share-net" or "proc")
            {
                if (!kept.Exists(k => k.Key == s.Key))
                    kept.Add(s);
                continue;
            }
            if (kept.Exists(k => k.Path is { } p && k.Key is "bind" or "ro-bind" && SandboxView.Contains(p, s.Path!) && (k.Key == "bind" || s.Key == "ro-bind")))
                continue;
            kept.RemoveAll(k => k.Path is { } p && k.Key is "bind" or "ro-bind" && SandboxView.Contains(s.Path!, p) && (s.Key == "bind" || k.Key == "ro-bind"));
            kept.Add(s);
        }
        return kept;
    }

    private static string Describe(Reach reach) => reach switch
    {
        Reach.Write => "for writing",
        Reach.Execute => "to execute",
        _ => "to read",
    };

    private static bool IsLibrary(string path) => Path.GetFileName(path) is var name && name.StartsWith("lib", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal);

    private static string? Interpreter(string binary)
    {
        try
        {
            return Relay.SelfImage.Interpreter(binary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Parent(string path) => Path.GetDirectoryName(path) ?? "/";

    public static HostKind Host(string path) =>
        Interop.Libc.StatPath(path, followLink: true, out var status) != 0 ? HostKind.None
            : status.IsDirectory ? HostKind.Directory : HostKind.Other;
}
