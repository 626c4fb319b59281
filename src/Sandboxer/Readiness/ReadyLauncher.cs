using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Readiness;

/// <summary>
/// The outside half of readiness: before bwrap is exec'd, the supervisor's descriptor is
/// checked and kept at its number, or the supervisor's notification socket is connected so
/// that the relay can reach it from inside a sandbox where its path does not exist.
/// </summary>
public static class ReadyLauncher
{
    /// <summary>
    /// "fd:N": the supervisor's descriptor N, passed on at N through bwrap (and the relay).
    /// Refused when the supervisor did not pass it: the daemon's readiness would go nowhere
    /// and the start would hang or fail without a word.
    /// </summary>
    public static PassedDescriptor? Inherited(Profile profile)
    {
        if (profile.Ready.PassedDescriptor is not int fd)
            return null;
        if (!ProcessImage.WasInherited(fd))
            throw SandboxerException.Config(
                $"{profile.Name}: [ready] notify = \"fd:{fd}\", but descriptor {fd} is not open: the supervisor must pass it (OpenRC: notify=fd:{fd} in the init script)");
        return new PassedDescriptor(new SafeFileHandle(fd, ownsHandle: false), fd);
    }

    /// <summary>
    /// "socket": a datagram socket connected to $NOTIFY_SOCKET, opened here, as the service's
    /// user, because the sandbox has no way to the host's path. When nothing listens there
    /// any more (OpenRC removes its socket once the first start is ready, so a respawn finds
    /// none), the daemon starts all the same and its notifications go nowhere, as they would
    /// without a sandbox.
    /// </summary>
    public static SafeFileHandle ConnectNotifySocket(Profile profile)
    {
        string? value = System.Environment.GetEnvironmentVariable(ReadySection.NotifySocketVariable);
        if (string.IsNullOrEmpty(value))
            throw SandboxerException.Config(
                $"{profile.Name}: [ready] notify = \"socket\", but NOTIFY_SOCKET is not set: the supervisor must provide it (OpenRC: notify=socket:ready; systemd: Type=notify)");
        var (name, isAbstract) = Address(value);
        ProcessImage.Check(Libc.DatagramSocket(out int fd), "cannot create a socket for NOTIFY_SOCKET");
        var socket = new SafeFileHandle(fd, ownsHandle: true);
        int errno = Libc.ConnectUnix(fd, name, isAbstract);
        if (errno is Errno.NoEntry or Errno.ConnectionRefused)
            Console.Error.Write(Messages.Visible($"sandboxer: warning: NOTIFY_SOCKET {value}: {Marshal.GetPInvokeErrorMessage(errno)}: the daemon's notifications will go nowhere") + "\n");
        else if (errno != 0)
            throw SandboxerException.Config(
                $"NOTIFY_SOCKET {value}: cannot connect as uid {Libc.GetEffectiveUserId()}: {Marshal.GetPInvokeErrorMessage(errno)}" +
                (errno == Errno.AccessDenied ? " (the service's user must be able to write to the socket)" : ""));
        return socket;
    }

    /// <summary>$NOTIFY_SOCKET as sd_notify reads it: an absolute path, or "@name" for an abstract socket.</summary>
    public static (byte[] Name, bool IsAbstract) Address(string value)
    {
        bool isAbstract = value.StartsWith('@');
        if (!isAbstract && !value.StartsWith('/'))
            throw SandboxerException.Config($"NOTIFY_SOCKET {value}: neither an absolute path nor an abstract socket (@name)");
        if (value.Contains('\uFFFD') || value.Contains('\0'))
            throw SandboxerException.Config($"NOTIFY_SOCKET {value}: not a valid name (not UTF-8, or a NUL)");
        byte[] name = System.Text.Encoding.UTF8.GetBytes(isAbstract ? value[1..] : value);
        if (name.Length > Libc.MaxUnixPath || name.Length == 0)
            throw SandboxerException.Config($"NOTIFY_SOCKET {value}: a socket name must be 1 to {Libc.MaxUnixPath} bytes");
        return (name, isAbstract);
    }
}
