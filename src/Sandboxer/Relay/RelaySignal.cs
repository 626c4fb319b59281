using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Relay;

/// <summary>
/// `sandboxer signal NAME SIG`: a signal for the daemon, through its relay.
///
/// Root may run it for a service whose user owns the state directory, so nothing in that
/// directory is believed: the relay is found from the kernel alone. The lock in the directory
/// (opened without following links, and only if it is a plain file of the service's user) is
/// held, per /proc/locks, by the process that took it: bwrap, which the launcher became. The
/// relay is that process's child that is PID 1 of its own PID namespace and runs as the
/// service's user. It is signalled through a pidfd opened before the last check, so a PID
/// reused in between is never signalled.
/// </summary>
public static class RelaySignal
{
    public static void Send(Profile profile, string signalName)
    {
        int signal = Signals.Parse(signalName) is int s && (s == Signals.Kill || Array.IndexOf(Signals.Relayed, s) >= 0) ? s
            : throw SandboxerException.Usage($"{signalName}: not a signal the relay passes on (HUP, INT, QUIT, ALRM, USR1, USR2, TERM, WINCH; KILL ends the sandbox)");
        if (!profile.Stop.Relay)
            throw SandboxerException.Config($"{profile.Name}: its profile sets [stop] relay = false: signal bwrap's PID instead");

        string dirPath = profile.Stop.StateDirectory(profile.Name);
        using var dir = StateDirectory.OpenForSignal(profile.Stop.StateRoot, profile.Name, out uint owner)
            ?? throw NotRunning(profile, $"{dirPath} does not exist");
        uint caller = Libc.GetEffectiveUserId();
        if (caller != 0 && caller != owner)
            throw new SandboxerException(ExitCodes.NoPermission,
                $"{profile.Name}: permission denied: the service runs as uid {owner}; signal it as root or as that user");
        using var lockFile = StateDirectory.OpenLock(dir, dirPath, owner, create: false)
            ?? throw NotRunning(profile, $"{dirPath}/{StateDirectory.LockName} does not exist");
        var lockStatus = StateDirectory.Status(lockFile, dirPath);

        int holder = LockHolder(lockStatus) ?? throw NotRunning(profile, "nothing holds its lock");
        int relay = FindRelay(holder, owner)
            ?? throw NotRunning(profile, $"PID {holder} holds its lock, but has no relay as its child: it is starting or stopping");

        int errno = Libc.PidfdOpen(relay, out int pidfd);
        if (errno == Errno.NoSystemCall)
            throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: signal needs pidfd_open (Linux 5.3 or later)");
        if (errno != 0)
            throw NotRunning(profile, $"its relay (PID {relay}) is gone");
        using var handle = new SafeFileHandle(pidfd, ownsHandle: true);
        // The pidfd names one process for good; checked again now, that process is the relay.
        if (LockHolder(lockStatus) != holder || !IsRelay(relay, holder, owner))
            throw NotRunning(profile, "its sandbox ended while it was being signalled");
        // Root can also see the relay's descriptors (an undumpable process shows them to no one
        // else): it must hold this very lock, not be another sandbox whose bwrap took a reused PID.
        if (caller == 0 && !HoldsOpen(relay, lockStatus))
            throw NotRunning(profile, $"PID {relay} is a relay, but not this service's");
        errno = Libc.PidfdSendSignal(pidfd, signal);
        if (errno == Errno.NoSuchProcess)
            throw NotRunning(profile, "its sandbox ended while it was being signalled");
        if (errno == Errno.NotPermitted)
            throw new SandboxerException(ExitCodes.NoPermission, $"{profile.Name}: permission denied: cannot signal its relay (PID {relay})");
        if (errno != 0)
            throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: cannot signal its relay (PID {relay}): {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static SandboxerException NotRunning(Profile profile, string why) =>
        new(ExitCodes.Unavailable, $"{profile.Name}: not running ({why})");

    /// <summary>The process holding an exclusive flock on the file, from the kernel's /proc/locks.</summary>
    private static int? LockHolder(in FileStatus file)
    {
        string locks;
        try
        {
            locks = File.ReadAllText("/proc/locks");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io("/proc/locks", e, ExitCodes.Software);
        }
        return FindHolder(locks, file.DeviceMajor, file.DeviceMinor, file.Inode);
    }

    /// <summary>
    /// In /proc/locks' lines, "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (device in hex),
    /// the PID holding an exclusive flock on that file; waiters ("1: -> FLOCK ...") hold nothing.
    /// </summary>
    public static int? FindHolder(string locks, uint major, uint minor, ulong inode)
    {
        foreach (var line in locks.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE")
                continue;
            var id = fields[5].Split(':');
            if (id.Length == 3
                && uint.TryParse(id[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint ma) && ma == major
                && uint.TryParse(id[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint mi) && mi == minor
                && ulong.TryParse(id[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong ino) && ino == inode
                && int.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0)
                return pid;
        }
        return null;
    }

    /// <summary>
    /// Whether the process has the file open, comparing each descriptor's status (stat follows
    /// /proc's links without opening anything, so no FIFO can block it).
    /// </summary>
    private static bool HoldsOpen(int pid, in FileStatus file)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (Libc.StatPath(fd, followLink: true, out var status) == 0 && status.SameFile(file))
                    return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    /// <summary>The child of <paramref name="parent"/> that is a relay: one of its children, by /proc.</summary>
    private static int? FindRelay(int parent, uint owner)
    {
        foreach (int pid in Children(parent) ?? EveryProcess())
        {
            if (IsRelay(pid, parent, owner))
                return pid;
        }
        return null;
    }

    /// <summary>
    /// The PIDs the kernel lists as children of each thread of <paramref name="parent"/>
    /// (/proc/PID/task/TID/children): a few reads, where scanning every process's status took
    /// most of a `signal`'s time. Only candidates: each is checked as any other. Null when the
    /// kernel lacks the file (CONFIG_PROC_CHILDREN); none when the process is gone.
    /// </summary>
    private static List<int>? Children(int parent)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{parent}/task"))
            {
                foreach (var pid in File.ReadAllText(task + "/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int child))
                        children.Add(child);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return children;
    }

    private static IEnumerable<int> EveryProcess()
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                yield return pid;
        }
    }

    /// <summary>
    /// A child of <paramref name="parent"/>, PID 1 of a PID namespace of its own, running as
    /// <paramref name="owner"/> by every uid it has: /proc/PID/status, which even an
    /// undumpable process shows to all.
    /// </summary>
    private static bool IsRelay(int pid, int parent, uint owner)
    {
        string status;
        try
        {
            status = File.ReadAllText($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return ProcessStatus.Parse(status) is { } p && p.ParentPid == parent && p.IsNamespaceInit && p.AllUidsAre(owner);
    }
}

/// <summary>The fields of /proc/PID/status that identify a relay.</summary>
public sealed record ProcessStatus(int ParentPid, uint[] Uids, int[] NamespacePids)
{
    /// <summary>PID 1 of its own PID namespace: NSpid lists its PID in each namespace, innermost last.</summary>
    public bool IsNamespaceInit => NamespacePids.Length >= 2 && NamespacePids[^1] == 1;

    public bool AllUidsAre(uint uid) => Uids.Length == 4 && Array.TrueForAll(Uids, u => u == uid);

    public static ProcessStatus? Parse(string status)
    {
        int? parent = null;
        uint[]? uids = null;
        int[]? pids = null;
        foreach (var line in status.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0)
                continue;
            var values = line[(colon + 1)..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            switch (line[..colon])
            {
                case "PPid":
                    parent = values.Length == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : null;
                    break;
                case "Uid":
                    uids = Array.ConvertAll(values, v => uint.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out uint u) ? u : uint.MaxValue);
                    break;
                case "NSpid":
                    pids = Array.ConvertAll(values, v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1);
                    break;
            }
        }
        return parent is int pp && uids is not null && pids is not null ? new ProcessStatus(pp, uids, pids) : null;
    }
}
