using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Composition;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Relay;

/// <summary>
/// The outside half of the relay: waits until no earlier sandbox of the service is running,
/// then creates what the relay gets (the held lock, the info file for bwrap) just before bwrap is exec'd.
/// </summary>
public static class RelayLauncher
{
    // Held until the exec: a finalised handle would close a descriptor bwrap must inherit.
    private static readonly List<SafeFileHandle> Held = [];

    public static RelayPlan Prepare(Profile profile)
    {
        string state = profile.Stop.StateDirectory(profile.Name);
        EnsureStateDirectory(state, profile.Stop.StateRoot);

        string lockPath = Path.Combine(state, "lock");
        var lockFile = Open(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        int lockFd = (int)lockFile.DangerousGetHandle();
        WaitForLock(lockFd, profile, lockPath);

        var info = Open(Path.Combine(state, "info"), FileMode.Create, FileAccess.Write);
        return new RelayPlan(SelfImage.Loader(), SelfImage.InsidePath, SelfImage.Binds(), lockFd,
            (int)info.DangerousGetHandle(), profile.Stop.Signal, profile.Stop.Timeout);
    }

    /// <summary>The plan `show` prints: the same, with the descriptors run would create numbered from 3.</summary>
    public static RelayPlan Describe(Profile profile) =>
        new(SelfImage.Loader(), SelfImage.InsidePath, SelfImage.Binds(), 3, 4, profile.Stop.Signal, profile.Stop.Timeout);

    /// <summary>
    /// The service's own directory under the state root. Sandboxer makes it when it may: as
    /// root, or when the root is its user's or open to all with the sticky bit (as /tmp); an
    /// unprivileged service under a root-owned /run/sandboxer needs its init script to make it.
    /// </summary>
    private static void EnsureStateDirectory(string state, string root)
    {
        uint user = Libc.GetEffectiveUserId();
        if (!Directory.Exists(state))
        {
            try
            {
                if (user == 0 && !Directory.Exists(root))
                    Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                Directory.CreateDirectory(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw SandboxerException.Config($"{state}: cannot create the relay's state directory ({SandboxerException.Io(state, e).Message}): " +
                    $"create it for the service's user, as OpenRC's start_pre can: checkpath -d -o \"$command_user\" -m 0700 {state}");
            }
        }
        Trust.CheckStateDirectory(state, user);
    }

    private static void WaitForLock(int fd, Profile profile, string lockPath)
    {
        var deadline = DateTime.UtcNow.AddSeconds(profile.Stop.StartWait);
        while (true)
        {
            int errno = Libc.Flock(fd, Libc.LockExclusive | Libc.LockNonBlocking);
            if (errno == 0)
                return;
            if (errno != Errno.WouldBlock)
                throw SandboxerException.Config($"{lockPath}: cannot lock: {Marshal.GetPInvokeErrorMessage(errno)}");
            if (DateTime.UtcNow >= deadline)
                throw new SandboxerException(ExitCodes.TempFail,
                    $"{profile.Name}: the previous sandbox is still running after {profile.Stop.StartWait} s (it holds {lockPath}); not starting another");
            Thread.Sleep(100);
        }
    }

    private static SafeFileHandle Open(string path, FileMode mode, FileAccess access)
    {
        try
        {
            var handle = File.OpenHandle(path, mode, access, FileShare.ReadWrite);
            Held.Add(handle);
            return handle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e);
        }
    }
}
