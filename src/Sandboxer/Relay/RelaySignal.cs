using System.Runtime.InteropServices;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Relay;

/// <summary>`sandboxer signal NAME SIG`: a signal for the daemon, through its relay.</summary>
public static class RelaySignal
{
    public static void Send(Profile profile, string signalName)
    {
        int signal = Signals.Parse(signalName) is int s && (s == Signals.Kill || Array.IndexOf(Signals.Relayed, s) >= 0) ? s
            : throw SandboxerException.Usage($"{signalName}: not a signal the relay passes on (HUP, INT, QUIT, ALRM, USR1, USR2, TERM, WINCH; KILL ends the sandbox)");
        if (!profile.Stop.Relay)
            throw SandboxerException.Config($"{profile.Name}: its profile sets [stop] relay = false: signal bwrap's PID instead");

        string state = profile.Stop.StateDirectory(profile.Name);
        string lockPath = Path.Combine(state, "lock");
        if (!File.Exists(lockPath))
            throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: not running ({lockPath} does not exist)");
        uint user = Libc.GetEffectiveUserId();
        Trust.CheckStateDirectory(state, user == 0 ? null : user);

        int pid;
        try
        {
            using var lockFile = File.OpenHandle(lockPath, FileMode.Open, FileAccess.Read);
            // A relay holds the lock for as long as it runs: if it can be taken, nothing is running.
            if (Libc.Flock((int)lockFile.DangerousGetHandle(), Libc.LockShared | Libc.LockNonBlocking) == 0)
                throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: not running");
            if (!TryReadChildPid(File.ReadAllText(Path.Combine(state, "info")), out pid))
                throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: starting, its relay's PID is not known yet");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(state, e, ExitCodes.Unavailable);
        }
        // The PID must still be our relay, not a stranger that reused it: the relay holds the lock open.
        if (!HoldsOpen(pid, lockPath))
            throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: PID {pid} is not its relay");

        int errno = Libc.Kill(pid, signal);
        if (errno != 0)
            throw new SandboxerException(ExitCodes.Unavailable, $"{profile.Name}: cannot signal its relay (PID {pid}): {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static bool HoldsOpen(int pid, string path)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (Trust.SameFile(fd, path))
                    return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    /// <summary>The "child-pid" number of bwrap's --info-fd JSON.</summary>
    public static bool TryReadChildPid(string info, out int pid)
    {
        const string Key = "\"child-pid\"";
        pid = 0;
        int at = info.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0)
            return false;
        var rest = info.AsSpan(at + Key.Length).TrimStart();
        if (rest.IsEmpty || rest[0] != ':')
            return false;
        rest = rest[1..].TrimStart();
        int digits = 0;
        while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
            digits++;
        return int.TryParse(rest[..digits], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid) && pid > 0;
    }
}
