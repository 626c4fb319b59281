using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>One profile line trace proposes, and why.</summary>
/// <param name="Key">
/// A top-level key (libraries, executables, dlopen: <see cref="LibrarySettings.Keys"/>) or a
/// [sandbox] one (ro-bind, bind, proc, share-net).
/// </param>
/// <param name="Value">The path (the same inside as on the host) or library name; null for share-net and libraries.</param>
public sealed record Suggestion(string Key, string? Value, string Reason)
{
    /// <summary>Whether the line goes at the top of the file, before any [table], rather than under [sandbox].</summary>
    public bool TopLevel => Array.IndexOf(LibrarySettings.Keys, Key) >= 0;

    /// <summary>The line as it goes in the file, then why, as a TOML comment.</summary>
    public string Line => (Key switch
    {
        "share-net" => "share-net = true",
        "libraries" => "libraries = \"auto\"",
        "proc" => $"proc = \"{Value}\"",
        _ => $"{Key} = [\"{Value}\"]",
    }) + "  # " + Reason;
}

/// <summary>
/// From the calls that failed in the sandbox to the profile lines that would grant them: only
/// for paths no mount decides yet (the profile's own, and what libraries = "auto" binds) and that
/// exist on the host (or, for a file being created, whose directory does). What the loader needs
/// (a program, its ELF interpreter, its libraries, the loader's cache and directories) is
/// libraries = "auto", never a bind of /lib; with "auto" on, a library that still fails was opened
/// by the program itself (dlopen), and a program it runs is one of executables. A read is granted
/// by ro-bind, a write by bind, /proc by proc, a network call by share-net. Never edits a profile:
/// the admin reads, decides and applies.
/// </summary>
public static class TraceAdvice
{
    /// <summary>What is at a host path: nothing, a directory, or something else.</summary>
    public enum HostKind { None, Directory, Other }

    /// <summary>The errors a missing network gives; another errno is the daemon's own business.</summary>
    private static readonly string[] NetworkErrors = ["ENETUNREACH", "ECONNREFUSED", "EHOSTUNREACH", "EADDRNOTAVAIL", "ETIMEDOUT", "ENETDOWN"];

    /// <param name="libraries">What libraries = "auto" binds for this profile (<see cref="Elf.LibraryPlan"/>): in the sandbox already.</param>
    public static List<Suggestion> From(IEnumerable<FailedCall> calls, Profile profile, IReadOnlyList<MountOp> libraries, Func<string, HostKind>? host = null)
    {
        host ??= Host;
        var view = new SandboxView(profile, libraries);
        var advice = new Advice(profile, view, host);
        bool sharesNet = profile.IsSet("unshare-all") ? profile.IsSet("share-net") : !profile.IsSet("unshare-net");
        var found = new List<Suggestion>();
        // strace looks for the command before it forks: the log has no execve to show for it.
        if (profile.Command?.Value is { } command && !profile.Libraries.Auto && view.Covering(view.Resolve(command)) is null)
            found.Add(new("libraries", null, $"the command {command} is not in the sandbox; \"auto\" binds it, its loader and its libraries"));
        foreach (var call in calls)
        {
            if (call.Reach == Reach.Network)
            {
                if (!sharesNet && Array.IndexOf(NetworkErrors, call.Errno) >= 0)
                    found.Add(new("share-net", null, $"{call.Call} to {call.Target}: {call.Errno}: the sandbox has a network of its own"));
                continue;
            }
            found.AddRange(advice.Suggest(call, SandboxView.Normalize(call.Target)));
        }
        return Tidy(found);
    }

    /// <summary>What one failed call asks for, knowing the profile and what its sandbox shows.</summary>
    private sealed class Advice(Profile profile, SandboxView view, Func<string, HostKind> host)
    {
        private readonly bool auto = profile.Libraries.Auto;

        public IEnumerable<Suggestion> Suggest(FailedCall call, string path)
        {
            string what = $"{call.Call} {Describe(call.Reach)}: {call.Errno}";
            if (call.Reach == Reach.Execute && call.Errno is "ENOENT" or "EACCES")
                return Execute(call, path);
            string inside = view.Resolve(path);
            if (view.Covering(inside) is { } op)
            {
                // The path is in the sandbox and exists; a read-only mount refused a write.
                if (call.Errno == "EROFS" && op.Option.StartsWith("ro-bind", StringComparison.Ordinal) && view.HostPath(inside) == inside)
                {
                    bool creating = host(inside) == HostKind.None;
                    string target = creating ? Parent(inside) : inside;
                    string why = creating ? $"{what}: creating {inside} in a read-only mount" : $"{what}: the mount at {op.Destination} is read-only";
                    // The profile cannot mount one path twice: the line says which one it replaces.
                    if (view.Covering(target) is { } mount && mount.Destination == target && mount.Option.StartsWith("ro-bind", StringComparison.Ordinal))
                        why += $"; in place of its {mount.Option} at {mount.Location}";
                    return [new("bind", target, why)];
                }
                return [];
            }
            if (call.Errno is not ("ENOENT" or "EROFS" or "EACCES"))
                return [];
            var kind = host(path);
            if (kind == HostKind.None)
            {
                // A file the daemon creates: its directory must be there, writable.
                string parent = Parent(inside);
                return call.Reach == Reach.Write && parent != "/" && view.Covering(parent) is null && host(parent) == HostKind.Directory
                    ? [new("bind", parent, $"{what}: creating {inside}")] : [];
            }
            if (IsLoaderSearch(inside, kind))
                // The loader's cache or a directory it searches: "auto" binds what it finds there; with "auto" on, the library itself says more.
                return auto ? [] : [Auto($"{what}: {inside} is searched by the dynamic loader")];
            if (kind == HostKind.Other && IsSharedObject(inside))
                return !auto ? [Auto($"{what}: the library {inside} is not in the sandbox")]
                    // A program run from a bound directory has none of its libraries resolved: naming it does that.
                    : call.Program is { } program && !Resolved(program) ? [new("executables", program, $"{what}: the library {inside} of {program}, which the daemon runs")]
                    : Dlopen(what, inside);
            if (SandboxView.Contains("/proc", inside))
                return [new("proc", "/proc", $"{what}: {inside} is in /proc")];
            if (call.Call is "connect" or "sendto" or "sendmsg")
                return [new("ro-bind", Parent(inside), $"{what}: the socket {inside}; binding its directory keeps a socket made again after a restart reachable")];
            return call.Reach switch
            {
                Reach.Write => [new("bind", inside, $"{what}: {inside} is written")],
                _ => [new("ro-bind", inside, $"{what}: {inside} is read")],
            };
        }

        /// <summary>
        /// A program that cannot be executed: the command itself, or its ELF interpreter, is
        /// libraries = "auto"; another program the daemon runs is one of executables, which
        /// "auto" binds with its own interpreter and libraries.
        /// </summary>
        private IEnumerable<Suggestion> Execute(FailedCall call, string path)
        {
            string what = $"{call.Call} {path}: {call.Errno}";
            if (host(path) != HostKind.Other)
                return [];
            string? missing = null;
            string inside = view.Resolve(path);
            if (view.Covering(inside) is null)
                missing = $"{path} is not in the sandbox";
            else if (call.Errno == "ENOENT" && view.HostPath(inside) is { } binary
                && Interpreter(binary) is { } interpreter && view.Covering(view.Resolve(interpreter)) is null && host(interpreter) != HostKind.None)
                missing = $"its ELF interpreter {interpreter} is not in the sandbox";
            if (missing is null)
                return [];
            if (profile.Command?.Value is { } command && SandboxView.Normalize(command) == path)
                return auto ? [] : [Auto($"{what}: {missing}; \"auto\" binds the command, its loader and its libraries")];
            var executable = new Suggestion("executables", path, $"{what}: {missing}; the daemon runs it");
            return auto ? [executable] : [Auto("executables needs it"), executable];
        }

        /// <summary>Whether "auto" resolves the libraries of <paramref name="program"/>: the command's and those of executables.</summary>
        private bool Resolved(string program) =>
            profile.Command?.Value is { } command && SandboxView.Normalize(command) == program
            || profile.Libraries.Executables.Exists(e => SandboxView.Normalize(e.Value) == program);

        /// <summary>A library the program opened itself: by name where the loader would find it by name, else by its path.</summary>
        private IEnumerable<Suggestion> Dlopen(string what, string path) =>
            [new("dlopen", IsLibraryDirectory(Parent(path)) ? Path.GetFileName(path) : path,
                $"{what}: {path} is opened at run time, not named in any ELF header")];

        private static Suggestion Auto(string reason) => new("libraries", null, reason);
    }

    /// <summary>One line per path, the strongest kept (bind over ro-bind); paths under a directory already proposed are dropped; top-level lines first.</summary>
    private static List<Suggestion> Tidy(List<Suggestion> found)
    {
        var kept = new List<Suggestion>();
        foreach (var s in found)
        {
            if (s.Key is not ("bind" or "ro-bind"))
            {
                if (!kept.Exists(k => k.Key == s.Key && k.Value == s.Value))
                    kept.Add(s);
                continue;
            }
            if (kept.Exists(k => k.Value is { } p && k.Key is "bind" or "ro-bind" && SandboxView.Contains(p, s.Value!) && (k.Key == "bind" || s.Key == "ro-bind")))
                continue;
            kept.RemoveAll(k => k.Value is { } p && k.Key is "bind" or "ro-bind" && SandboxView.Contains(s.Value!, p) && (s.Key == "bind" || k.Key == "ro-bind"));
            kept.Add(s);
        }
        return [.. kept.Where(s => s.TopLevel), .. kept.Where(s => !s.TopLevel)];
    }

    private static string Describe(Reach reach) => reach switch
    {
        Reach.Write => "for writing",
        Reach.Execute => "to execute",
        _ => "to read",
    };

    /// <summary>libc.so.6, libnss_dns.so.2, an OpenSSL module's legacy.so: what the loader or dlopen maps.</summary>
    private static bool IsSharedObject(string path) =>
        Path.GetFileName(path) is var name && (name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal));

    /// <summary>/lib, /usr/lib64, /usr/local/lib, /lib/x86_64-linux-gnu...: where both loaders look for a library given by name.</summary>
    private static bool IsLibraryDirectory(string path)
    {
        foreach (var prefix in (string[])["/usr/local", "/usr", ""])
        {
            if (!path.StartsWith(prefix + "/lib", StringComparison.Ordinal))
                continue;
            string rest = path[(prefix.Length + 4)..];
            if (rest is "" or "32" or "64")
                return true;
            int slash = rest.IndexOf('/');
            if (slash >= 0 && rest[..slash] is "" or "32" or "64" && rest[(slash + 1)..] is var triplet && !triplet.Contains('/') && triplet.Contains("-linux-", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>glibc's /etc/ld.so.cache, musl's /etc/ld-musl-ARCH.path, a library directory or glibc's hwcaps ones under it.</summary>
    private static bool IsLoaderSearch(string path, HostKind kind) =>
        path == "/etc/ld.so.cache"
        || path.StartsWith("/etc/ld-musl-", StringComparison.Ordinal) && path.EndsWith(".path", StringComparison.Ordinal)
        || kind == HostKind.Directory && (IsLibraryDirectory(path) || path.Contains("/glibc-hwcaps", StringComparison.Ordinal) && IsLibraryDirectory(path[..path.IndexOf("/glibc-hwcaps", StringComparison.Ordinal)]));

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
