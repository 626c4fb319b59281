using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;
using Sandboxer.Trust;

namespace Sandboxer.Relay;

/// <summary>
/// STATE_ROOT/NAME/lock: the lock a relay holds for as long as its sandbox lives.
///
/// The state root is root's alone (owned by root, writable by nobody else, reached through
/// root's directories only), so only root makes or renames the service's directory in it; that
/// directory belongs to the user the service runs as, which its owner therefore proves. Both are
/// opened by descriptor without following links, so no rename or planted link can redirect what
/// Sandboxer creates, and nothing there is opened unless it is what it must be.
/// </summary>
public static class StateDirectory
{
    public const string LockName = "lock";

    private const int GroupOrOtherWrite = 0x12;

    /// <summary>
    /// The service's directory for a start as <paramref name="user"/>: made as root when missing,
    /// and required to belong to that user.
    /// </summary>
    public static SafeFileHandle OpenForRun(string root, string name, uint user)
    {
        using var rootFd = OpenRoot(root, create: user == 0)!;
        string dir = Join(root, name);
        int errno = OpenService(rootFd, name, out var handle);
        if (errno == Errno.NoEntry && user == 0)
        {
            errno = Libc.MkdirAt(Fd(rootFd), name, 0x1C0); // 0700
            ThrowIfFull(errno, dir, "the relay's state directory");
            if (errno != 0 && errno != Errno.Exists)
                throw SandboxerException.Config($"{dir}: cannot create the relay's state directory: {Marshal.GetPInvokeErrorMessage(errno)}");
            errno = OpenService(rootFd, name, out handle);
        }
        if (errno == Errno.NoEntry)
            throw SandboxerException.Config($"{dir}: missing: only root makes a service's state directory: " +
                $"create it for the service's user, as OpenRC's start_pre can: checkpath -d -o \"$command_user\" -m 0700 {dir}");
        Check(errno, dir);
        var status = Status(handle!, dir);
        if (status.Uid != user)
        {
            handle!.Dispose();
            throw SandboxerException.Config(status.Uid == 0
                ? $"{dir}: owned by root (a start as root made it), but the service runs as uid {user}: " +
                  $"give it and what is in it to that user, as root: chown -R {user} {dir}"
                : $"{dir}: not trusted: owned by uid {status.Uid}, not by uid {user}, which runs the service; " +
                  $"as root: chown {user} {dir}, or remove it");
        }
        if ((status.Mode & GroupOrOtherWrite) != 0)
        {
            handle!.Dispose();
            throw SandboxerException.Config($"{dir}: not trusted: writable by {TrustedPath.Writers(status.Mode)} (mode {TrustedPath.Mode(status.Mode)})");
        }
        return handle!;
    }

    /// <summary>The service's directory for `signal`, with the uid that owns it; null when there is none.</summary>
    public static SafeFileHandle? OpenForSignal(string root, string name, out uint owner)
    {
        owner = 0;
        using var rootFd = OpenRoot(root, create: false, missingIsNotRunning: true);
        if (rootFd is null)
            return null;
        int errno = OpenService(rootFd, name, out var handle);
        if (errno == Errno.NoEntry)
            return null;
        Check(errno, Join(root, name));
        owner = Status(handle!, Join(root, name)).Uid;
        return handle;
    }

    /// <summary>
    /// The lock, created when missing: never through a link, never a FIFO or device, never a file
    /// with other names (a hard link to something else), and always the service user's.
    /// </summary>
    /// <returns>The lock; null when it does not exist and <paramref name="create"/> is false.</returns>
    public static SafeFileHandle? OpenLock(SafeFileHandle dir, string dirPath, uint user, bool create)
    {
        string path = dirPath + "/" + LockName;
        int flags = (create ? Libc.OpenReadWrite | Libc.OpenCreate : Libc.OpenReadOnly)
            | Libc.OpenNoFollow | Libc.OpenNonBlocking | Libc.OpenNoControllingTerminal | Libc.OpenCloseOnExec;
        int errno = Libc.OpenAt(Fd(dir), LockName, flags, 0x180 /* 0600 */, out int fd);
        if (errno == Errno.TooManyLinks)
            throw SandboxerException.Config($"{path}: is a symbolic link; the relay's lock must be a plain file: remove it");
        if (errno == Errno.NoDevice)
            throw SandboxerException.Config($"{path}: is a socket; the relay's lock must be a plain file: remove it");
        if (errno == Errno.NoEntry && !create)
            return null;
        ThrowIfFull(errno, path, "the relay's lock");
        if (errno == Errno.AccessDenied && create)
            throw SandboxerException.Config(Libc.StatAt(Fd(dir), LockName, out var other) == 0 && other.Uid != user
                ? $"{path}: owned by uid {other.Uid}, but the service runs as uid {user}: as root: chown -R {user} {dirPath}"
                : $"{path}: Permission denied");
        if (errno == Errno.AccessDenied)
            throw new SandboxerException(ExitCodes.NoPermission, $"{path}: Permission denied");
        Check(errno, path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var status = Status(handle, path);
        string? problem = !status.IsRegularFile ? "is not a plain file"
            : status.Uid != user ? $"is owned by uid {status.Uid}, not by uid {user}, which runs the service"
            : status.Links != 1 ? $"has {status.Links} names (a hard link)"
            : null;
        if (problem is not null)
        {
            handle.Dispose();
            throw SandboxerException.Config($"{path}: {problem}; the relay's lock must be a plain file of the service's own: remove it");
        }
        return handle;
    }

    internal static FileStatus Status(SafeFileHandle handle, string path)
    {
        int errno = Libc.StatDescriptor(Fd(handle), out var status);
        return errno == 0 ? status : throw SandboxerException.Config($"{path}: cannot check it: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public static string Join(string root, string name) => root.TrimEnd('/') + "/" + name;

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>
    /// The state root, which must be root's alone. Made as root when missing (its parent must be
    /// root's alone too); for an unprivileged start it must exist already.
    /// </summary>
    private static SafeFileHandle? OpenRoot(string root, bool create, bool missingIsNotRunning = false)
    {
        string shown = $"{root} (the relay's state root, [stop] state)";
        SafeFileHandle handle;
        try
        {
            handle = TrustedPath.OpenDirectory(root, shown);
        }
        catch (SandboxerException) when (create || missingIsNotRunning)
        {
            if (!Exists(root))
            {
                if (missingIsNotRunning)
                    return null;
                string parent = Path.GetDirectoryName(root.TrimEnd('/')) ?? "/";
                using (var parentFd = TrustedPath.OpenDirectory(parent, shown))
                {
                    // 0755 whatever the umask: the service's user must be able to reach its directory.
                    string last = Path.GetFileName(root.TrimEnd('/'));
                    int errno = Libc.MkdirAt(Fd(parentFd), last, 0x1ED);
                    if (errno == 0)
                        errno = Libc.ChmodAt(Fd(parentFd), last, 0x1ED);
                    if (errno != 0 && errno != Errno.Exists)
                        throw SandboxerException.Config($"{shown}: cannot create it: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                handle = TrustedPath.OpenDirectory(root, shown);
            }
            else
                throw;
        }
        // Passing through a sticky directory is fine; being one is not: anyone could make NAME/ in it.
        var status = Status(handle, root);
        if ((status.Mode & GroupOrOtherWrite) != 0)
        {
            handle.Dispose();
            throw SandboxerException.Config($"{shown}: not trusted: writable by {TrustedPath.Writers(status.Mode)} (mode {TrustedPath.Mode(status.Mode)}): " +
                "it must be root's alone (as /run/sandboxer, mode 0755), so that no other user can make or replace a service's directory in it");
        }
        return handle;
    }

    private static bool Exists(string path) => Libc.StatPath(path, followLink: false, out _) != Errno.NoEntry;

    /// <summary>NAME in the root: a directory, never reached through a link.</summary>
    private static int OpenService(SafeFileHandle root, string name, out SafeFileHandle? handle)
    {
        handle = null;
        int errno = Libc.OpenAt(Fd(root), name, Libc.OpenPath | Libc.OpenDirectory | Libc.OpenNoFollow | Libc.OpenCloseOnExec, 0, out int fd);
        if (errno == 0)
            handle = new SafeFileHandle(fd, ownsHandle: true);
        return errno;
    }

    /// <summary>
    /// Only a service's first start creates anything here (its directory, then the empty lock);
    /// later starts reuse both and need no space at all, so only a first start can meet a full filesystem.
    /// </summary>
    private static void ThrowIfFull(int errno, string path, string what)
    {
        if (errno == Errno.NoSpace || errno == Errno.QuotaExceeded)
            throw new SandboxerException(ExitCodes.CannotCreate,
                $"{path}: cannot create {what}: {Marshal.GetPInvokeErrorMessage(errno)}: its filesystem ([stop] state) is full; " +
                "free space or inodes there, then start again");
    }

    private static void Check(int errno, string path)
    {
        if (errno == Errno.TooManyLinks || errno == Errno.NotDirectory)
            throw SandboxerException.Config($"{path}: not a directory (a link or a file is in its place): remove it, and let Sandboxer or start_pre make it");
        if (errno != 0)
            throw SandboxerException.Config($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
