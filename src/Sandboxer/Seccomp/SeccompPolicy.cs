namespace Sandboxer.Seccomp;

/// <summary>
/// What the daemon may call, for one architecture: the calls allowed, what a denied call gets,
/// and the socket families allowed (null: any). Made from a profile's [seccomp] rules by
/// <see cref="Build"/>, compiled to BPF by <see cref="BpfCompiler"/>.
/// </summary>
public sealed class SeccompPolicy
{
    private SeccompPolicy(SyscallTable table, bool[] allowed, SeccompAction action, int[]? families)
    {
        Table = table;
        Allowed = allowed;
        Action = action;
        Families = families;
    }

    public SyscallTable Table { get; }

    /// <summary>By number, for every number below <see cref="SyscallTable.Count"/>.</summary>
    public bool[] Allowed { get; }

    public SeccompAction Action { get; }

    public int[]? Families { get; }

    /// <summary>
    /// Rules in order, each allowing or denying a set of calls: the later wins. Without any allow
    /// rule everything starts allowed; with one, everything starts denied.
    /// </summary>
    public static SeccompPolicy Build(SyscallTable table, IReadOnlyList<(bool Allow, string Spec)> rules, SeccompAction action, int[]? families)
    {
        bool allowList = rules.Any(r => r.Allow);
        var allowed = new bool[table.Count];
        for (int n = 0; n < table.Count; n++)
            allowed[n] = !allowList && table.Known[n];
        foreach (var (allow, spec) in rules)
        {
            var numbers = Resolve(table, spec, out string? error) ?? throw new SandboxerException(ExitCodes.Config, $"seccomp: {error}");
            foreach (int n in numbers)
                allowed[n] = allow;
        }
        return new SeccompPolicy(table, allowed, action, families);
    }

    /// <summary>
    /// A name, "@group" or "~@group" (every call but the group's) as numbers of this
    /// architecture; null and why when it names nothing or a group empty here (fail closed).
    /// A name the architecture lacks (access on aarch64) is no call at all, and resolves to none.
    /// </summary>
    public static IEnumerable<int>? Resolve(SyscallTable table, string spec, out string? error)
    {
        error = null;
        bool complement = spec.StartsWith('~');
        string name = complement ? spec[1..] : spec;
        if (name.StartsWith('@'))
        {
            if (table.Group(name) is not { } group)
            {
                error = $"\"{name}\" is not a syscall group" + Hints.DidYouMean(name, SyscallTable.Groups);
                return null;
            }
            if (group.Count == 0)
            {
                error = $"\"{name}\" has no syscall on {table.Name}";
                return null;
            }
            return complement ? Enumerable.Range(0, table.Count).Where(n => table.Known[n] && !group.Contains(n)) : group;
        }
        if (complement)
        {
            error = $"\"{spec}\": \"~\" goes only before a group, such as \"~@mount\"";
            return null;
        }
        int number = table.Number(name);
        if (number == -2)
        {
            error = $"\"{name}\" is not a syscall" + Hints.DidYouMean(name, SyscallTable.Names);
            return null;
        }
        return number >= 0 ? [number] : [];
    }
}

/// <summary>What a denied call gets: an errno, the process killed, or only a log line.</summary>
public readonly record struct SeccompAction(uint Value)
{
    public const uint Allow = 0x7fff0000;
    public const uint KillProcess = 0x80000000;
    public const uint Log = 0x7ffc0000;
    private const uint ErrnoBase = 0x00050000;

    public static SeccompAction Errno(int errno) => new(ErrnoBase | (uint)errno);

    public static readonly SeccompAction Kill = new(KillProcess);
    public static readonly SeccompAction LogOnly = new(Log);

    public bool IsErrno => (Value & 0xffff0000) == ErrnoBase;

    /// <summary>An errno action answers with <paramref name="errno"/> instead; kill and log stay.</summary>
    public SeccompAction WithErrno(int errno) => IsErrno ? Errno(errno) : this;

    /// <summary>"EPERM" and the other errno names, "kill" or "log"; null if none of these.</summary>
    public static SeccompAction? Parse(string text) => text switch
    {
        "kill" => Kill,
        "log" => LogOnly,
        _ => ErrnoNames.TryGetValue(text, out int errno) ? Errno(errno) : null,
    };

    /// <summary>The same numbers on x86_64 and aarch64 (asm-generic/errno-base.h and errno.h).</summary>
    public static readonly Dictionary<string, int> ErrnoNames = new(StringComparer.Ordinal)
    {
        ["EPERM"] = 1, ["ENOENT"] = 2, ["ESRCH"] = 3, ["EINTR"] = 4, ["EIO"] = 5, ["ENXIO"] = 6, ["E2BIG"] = 7,
        ["ENOEXEC"] = 8, ["EBADF"] = 9, ["ECHILD"] = 10, ["EAGAIN"] = 11, ["ENOMEM"] = 12, ["EACCES"] = 13,
        ["EFAULT"] = 14, ["EBUSY"] = 16, ["EEXIST"] = 17, ["EXDEV"] = 18, ["ENODEV"] = 19, ["ENOTDIR"] = 20,
        ["EISDIR"] = 21, ["EINVAL"] = 22, ["ENFILE"] = 23, ["EMFILE"] = 24, ["ENOTTY"] = 25, ["ETXTBSY"] = 26,
        ["EFBIG"] = 27, ["ENOSPC"] = 28, ["ESPIPE"] = 29, ["EROFS"] = 30, ["EMLINK"] = 31, ["EPIPE"] = 32,
        ["ENOSYS"] = 38, ["ENOTSUP"] = 95, ["EOPNOTSUPP"] = 95, ["EAFNOSUPPORT"] = 97, ["EADDRINUSE"] = 98,
        ["ENETUNREACH"] = 101, ["ECONNREFUSED"] = 111,
    };

    public const int NoSystemCall = 38;
    public const int NotPermitted = 1;
    public const int FamilyNotSupported = 97;
}

/// <summary>Socket families by name, for [seccomp] families (the same numbers on every Linux architecture).</summary>
public static class SocketFamilies
{
    public static readonly Dictionary<string, int> Names = new(StringComparer.Ordinal)
    {
        ["unspec"] = 0, ["unix"] = 1, ["inet"] = 2, ["ax25"] = 3, ["ipx"] = 4, ["appletalk"] = 5, ["x25"] = 9,
        ["inet6"] = 10, ["key"] = 15, ["netlink"] = 16, ["packet"] = 17, ["rds"] = 21, ["llc"] = 26, ["ib"] = 27,
        ["mpls"] = 28, ["can"] = 29, ["tipc"] = 30, ["bluetooth"] = 31, ["alg"] = 38, ["vsock"] = 40,
        ["kcm"] = 41, ["qipcrtr"] = 42, ["smc"] = 43, ["xdp"] = 44, ["mctp"] = 45,
    };
}
