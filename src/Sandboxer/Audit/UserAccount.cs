using Sandboxer.Interop;

namespace Sandboxer.Audit;

/// <summary>
/// The account a service runs as (OpenRC's command_user, "user" or "user:group"), from the
/// text of /etc/passwd and /etc/group: what an Alpine or Debian server keeps its accounts in,
/// read without NSS so that the same code runs under glibc and musl.
/// </summary>
public sealed record UserAccount(string Name, uint Uid, uint Gid, uint[] Groups)
{
    public const int Read = 4, Write = 2, Execute = 1;

    public static UserAccount Find(string spec) =>
        Find(spec, ReadText("/etc/passwd"), ReadText("/etc/group"));

    /// <param name="spec">"user", "user:group", or numeric ids.</param>
    public static UserAccount Find(string spec, string passwd, string group)
    {
        int colon = spec.IndexOf(':');
        string userName = colon < 0 ? spec : spec[..colon];
        string? groupName = colon < 0 ? null : spec[(colon + 1)..];
        var users = Rows(passwd);
        var groups = Rows(group);

        string[]? user = users.Find(f => f[0] == userName)
            ?? (uint.TryParse(userName, out uint uid) ? users.Find(f => f[2] == userName) ?? [userName, "", userName, userName] : null);
        if (user is null || user.Length < 4 || !uint.TryParse(user[2], out uint userId) || !uint.TryParse(user[3], out uint primary))
            throw SandboxerException.Usage($"--user {spec}: no such user in /etc/passwd");
        if (groupName is { Length: > 0 })
        {
            string[]? row = groups.Find(f => f[0] == groupName) ?? groups.Find(f => f[2] == groupName);
            if (row is not null && uint.TryParse(row[2], out uint gid))
                primary = gid;
            else if (!uint.TryParse(groupName, out primary))
                throw SandboxerException.Usage($"--user {spec}: no such group in /etc/group");
        }
        // supervise-daemon sets the supplementary groups from /etc/group (initgroups).
        var member = new SortedSet<uint> { primary };
        foreach (var row in groups)
        {
            if (row.Length > 3 && row[3].Split(',').Contains(user[0]) && uint.TryParse(row[2], out uint gid))
                member.Add(gid);
        }
        return new UserAccount(user[0], userId, primary, [.. member]);
    }

    /// <summary>Whether the mode bits let this account do <paramref name="want"/> (Read, Write, Execute); ACLs are not read.</summary>
    internal bool May(in FileStatus status, int want)
    {
        if (Uid == 0)
            return (want & Execute) == 0 || status.IsDirectory || (status.Mode & 0x49) != 0;
        int shift = status.Uid == Uid ? 6 : Array.IndexOf(Groups, status.Gid) >= 0 ? 3 : 0;
        return ((status.Mode >> shift) & want) == want;
    }

    /// <summary>
    /// What keeps this account from doing <paramref name="want"/> to <paramref name="path"/>:
    /// a directory on the way it cannot search, or the file's own mode; null when nothing does.
    /// </summary>
    public string? Denies(string path, int want)
    {
        if (Libc.RealPath(path, out string resolved) != 0)
            return null; // a missing source is check's other finding
        string walked = "";
        foreach (var part in resolved.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string directory = walked.Length == 0 ? "/" : walked;
            if (Libc.StatPath(directory, followLink: true, out var status) == 0 && !May(status, Execute))
                return $"{Name} cannot search {directory} (mode {Trust.TrustedPath.Mode(status.Mode)}, owner {status.Uid}:{status.Gid})";
            walked += "/" + part;
        }
        if (Libc.StatPath(resolved, followLink: true, out var final) != 0)
            return null;
        if (final.IsDirectory && (want & Read) != 0)
            want |= Execute;
        if (!May(final, want))
            return $"{Name} cannot {Verb(want)} {resolved} (mode {Trust.TrustedPath.Mode(final.Mode)}, owner {final.Uid}:{final.Gid})";
        return null;
    }

    private static string Verb(int want) => want switch
    {
        Execute => "execute",
        _ when (want & Write) != 0 => "write",
        _ => "read",
    };

    private static List<string[]> Rows(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':')).Where(f => f.Length >= 3).ToList();

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e, ExitCodes.Usage);
        }
    }
}
