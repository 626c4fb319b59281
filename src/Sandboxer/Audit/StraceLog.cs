using System.Text;

namespace Sandboxer.Audit;

/// <summary>What a failed system call tried to reach.</summary>
public enum Reach { Read, Write, Execute, Network }

/// <summary>
/// One failed call from strace's log: who, which call, the path (or the address, for the
/// network) as the daemon saw it inside the sandbox, what it wanted, and the errno's name.
/// </summary>
/// <param name="Program">The program that process last executed (a forked child keeps its parent's); null when the log does not say.</param>
public sealed record FailedCall(int Pid, string Call, string Target, Reach Reach, string Errno, string Line, string? Program = null);

/// <summary>
/// Reads the text `strace -f -o FILE` writes (one call per line, the PID first; a call another
/// thread interrupted is split into "&lt;unfinished ...&gt;" and "&lt;... resumed&gt;" lines, joined
/// here) and keeps the failed calls that name a path or a network address. Calls on a directory
/// descriptor with a relative path are left out: the log does not say which directory it was.
/// </summary>
public static class StraceLog
{
    /// <summary>Calls whose first argument is the path.</summary>
    private static readonly string[] PathFirst =
    [
        "open", "creat", "stat", "lstat", "stat64", "lstat64", "access", "execve", "readlink", "mkdir", "rmdir",
        "unlink", "chdir", "truncate", "statfs", "chmod", "chown", "lchown", "utime", "utimes", "getxattr", "lgetxattr",
    ];

    /// <summary>Calls with a directory descriptor first and the path second.</summary>
    private static readonly string[] PathSecond =
    [
        "openat", "openat2", "newfstatat", "fstatat64", "faccessat", "faccessat2", "mkdirat", "unlinkat", "readlinkat",
        "statx", "execveat", "fchmodat", "fchownat", "utimensat", "mknodat",
    ];

    private static readonly string[] Writing = ["creat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "truncate", "chmod", "fchmodat", "chown", "lchown", "fchownat", "utime", "utimes", "utimensat", "mknodat"];

    private static readonly string[] WriteFlags = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];

    public static List<FailedCall> Parse(string text)
    {
        var failed = new List<FailedCall>();
        var pending = new Dictionary<int, string>();
        var programs = new Dictionary<int, string>();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int space = line.IndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(0, space), out int pid))
                continue;
            string call = line[space..].TrimStart();
            if (call.EndsWith("<unfinished ...>", StringComparison.Ordinal))
            {
                pending[pid] = call[..^"<unfinished ...>".Length].TrimEnd();
                continue;
            }
            if (call.StartsWith("<... ", StringComparison.Ordinal))
            {
                int resumed = call.IndexOf(" resumed>", StringComparison.Ordinal);
                if (resumed < 0 || !pending.Remove(pid, out var start))
                    continue;
                call = start + call[(resumed + " resumed>".Length)..];
            }
            if (Failed(pid, call) is { } failure)
                failed.Add(programs.TryGetValue(pid, out var program) ? failure with { Program = program } : failure);
            else
                Follow(pid, call, programs);
        }
        return failed;
    }

    /// <summary>Which program each process runs: set by a successful execve, passed to a child by fork, vfork and clone.</summary>
    private static void Follow(int pid, string call, Dictionary<int, string> programs)
    {
        int result = call.LastIndexOf(" = ", StringComparison.Ordinal);
        if (result < 0 || !int.TryParse(call.AsSpan(result + 3).Trim(), out int value))
            return;
        if (call.StartsWith("execve(\"", StringComparison.Ordinal) && value == 0)
        {
            if (ReadString(call, "execve(".Length, out _) is { } program && program.StartsWith('/'))
                programs[pid] = program;
        }
        else if (value > 0 && (call.StartsWith("clone", StringComparison.Ordinal) || call.StartsWith("fork(", StringComparison.Ordinal) || call.StartsWith("vfork(", StringComparison.Ordinal))
            && programs.TryGetValue(pid, out var parent))
            programs[value] = parent;
    }

    private static FailedCall? Failed(int pid, string call)
    {
        int open = call.IndexOf('(');
        int result = call.LastIndexOf(" = -1 ", StringComparison.Ordinal);
        // strace pads a short call with spaces up to a column before " = ", and a resumed one too.
        int close = result < 0 ? -1 : call.AsSpan(0, result).TrimEnd(' ').Length - 1;
        if (open <= 0 || close <= open || call[close] != ')')
            return null;
        string name = call[..open];
        string errno = call[(result + " = -1 ".Length)..].Split(' ')[0];
        string args = call[(open + 1)..close];

        if (name is "connect" or "bind" or "sendto" or "sendmsg")
            return Address(pid, name, args, errno, call);
        bool second = Array.IndexOf(PathSecond, name) >= 0;
        if (!second && Array.IndexOf(PathFirst, name) < 0)
            return null;
        int quote = args.IndexOf('"');
        if (quote < 0 || ReadString(args, quote, out int end) is not { } path)
            return null;
        if (second && !args.StartsWith("AT_FDCWD", StringComparison.Ordinal) && !path.StartsWith('/'))
            return null;
        if (!path.StartsWith('/'))
            return null; // relative to a working directory the log does not show
        string rest = args[end..];
        var reach = name is "execve" or "execveat" ? Reach.Execute
            : Array.IndexOf(Writing, name) >= 0 || name.StartsWith("open", StringComparison.Ordinal) && WriteFlags.Any(f => rest.Contains(f, StringComparison.Ordinal))
                ? Reach.Write : Reach.Read;
        return new FailedCall(pid, name, path, reach, errno, call);
    }

    /// <summary>connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}, 16): a Unix path or an address.</summary>
    private static FailedCall? Address(int pid, string name, string args, string errno, string call)
    {
        int family = args.IndexOf("sa_family=", StringComparison.Ordinal);
        if (family < 0)
            return null;
        if (args.AsSpan(family).StartsWith("sa_family=AF_UNIX"))
        {
            int path = args.IndexOf("sun_path=\"", StringComparison.Ordinal);
            return path >= 0 && ReadString(args, path + "sun_path=".Length, out _) is { } socket && socket.StartsWith('/')
                ? new FailedCall(pid, name, socket, name == "bind" ? Reach.Write : Reach.Read, errno, call) : null;
        }
        if (!args.AsSpan(family).StartsWith("sa_family=AF_INET"))
            return null;
        string port = Between(args, "htons(", ")") ?? "?";
        string host = Between(args, "inet_addr(\"", "\"") ?? Between(args, "inet_pton(AF_INET6, \"", "\"") ?? "?";
        return new FailedCall(pid, name, host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}", Reach.Network, errno, call);
    }

    private static string? Between(string text, string before, string after)
    {
        int start = text.IndexOf(before, StringComparison.Ordinal);
        if (start < 0)
            return null;
        start += before.Length;
        int end = text.IndexOf(after, start, StringComparison.Ordinal);
        return end < 0 ? null : text[start..end];
    }

    /// <summary>A C string as strace prints it (\", \\, \n, \t, \xNN, octal), from the quote at <paramref name="quote"/>; null when cut short ("..." after it).</summary>
    public static string? ReadString(string text, int quote, out int end)
    {
        var bytes = new List<byte>();
        int i = quote + 1;
        end = text.Length;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"')
            {
                end = i + 1;
                // strace marks a string longer than -s with "..." after the closing quote.
                return text.AsSpan(end).StartsWith("...") ? null : Encoding.UTF8.GetString(bytes.ToArray());
            }
            if (c == '\\' && i + 1 < text.Length)
            {
                char e = text[++i];
                switch (e)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 'v': bytes.Add((byte)'\v'); break;
                    case 'f': bytes.Add((byte)'\f'); break;
                    case 'x' when i + 2 < text.Length:
                        bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                        i += 2;
                        break;
                    case >= '0' and <= '7':
                        int digits = 1;
                        while (digits < 3 && i + digits < text.Length && text[i + digits] is >= '0' and <= '7')
                            digits++;
                        bytes.Add((byte)Convert.ToInt32(text.Substring(i, digits), 8));
                        i += digits - 1;
                        break;
                    default: bytes.AddRange(Encoding.UTF8.GetBytes(e.ToString())); break;
                }
                i++;
                continue;
            }
            int next = i;
            while (next < text.Length && text[next] is not ('"' or '\\'))
                next++;
            bytes.AddRange(Encoding.UTF8.GetBytes(text[i..next]));
            i = next;
        }
        return null;
    }
}
