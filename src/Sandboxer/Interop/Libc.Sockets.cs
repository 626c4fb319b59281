using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>
/// Unix datagram sockets, for readiness notification (the sd_notify protocol): the launcher
/// connects to the supervisor's socket, the relay binds one inside the sandbox and forwards.
/// </summary>
internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int domain, int type, int protocol);

    [LibraryImport(LibraryName, EntryPoint = "connect", SetLastError = true)]
    private static partial int ConnectNative(int fd, UnixAddress* address, int length);

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    private static partial int BindNative(int fd, UnixAddress* address, int length);

    [LibraryImport(LibraryName, EntryPoint = "recv", SetLastError = true)]
    private static partial nint RecvNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollDescriptor* descriptors, nuint count, int timeout);

    /// <summary>The longest name sun_path holds: 108 bytes, a path's terminating NUL included.</summary>
    public const int MaxUnixPath = 107;

    /// <summary>MSG_DONTWAIT: never block, on a full peer or an empty queue.</summary>
    public const int MessageDontWait = 0x40;
    /// <summary>MSG_TRUNC on receive: return the datagram's real length, even when the buffer was shorter.</summary>
    public const int MessageTruncated = 0x20;
    private const int MessageNoSignal = 0x4000;

    /// <summary>A close-on-exec AF_UNIX SOCK_DGRAM socket.</summary>
    public static int DatagramSocket(out int fd)
    {
        fd = SocketNative(AddressFamilyUnix, SocketDatagram | SocketCloseOnExec, 0);
        return fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>connect(2) to a Unix socket: a path, or an abstract name when <paramref name="isAbstract"/>.</summary>
    public static int ConnectUnix(int fd, byte[] name, bool isAbstract)
    {
        var address = UnixAddress.For(name, isAbstract, out int length);
        return ConnectNative(fd, &address, length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>bind(2) to a Unix socket path (created by the call, mode 0777 less the umask).</summary>
    public static int BindUnix(int fd, byte[] path)
    {
        var address = UnixAddress.For(path, isAbstract: false, out int length);
        return BindNative(fd, &address, length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>recv(2): <paramref name="received"/> is the datagram's length (its real one with <see cref="MessageTruncated"/>).</summary>
    public static int Receive(int fd, Span<byte> buffer, int flags, out int received)
    {
        fixed (byte* b = buffer)
        {
            nint n = RecvNative(fd, b, (nuint)buffer.Length, flags);
            received = (int)Math.Max(n, 0);
            return n >= 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>send(2) of one datagram; never raises SIGPIPE.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> message, int flags)
    {
        fixed (byte* m = message)
            return SendNative(fd, m, (nuint)message.Length, flags | MessageNoSignal) >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Waits, without a timeout, until <paramref name="fd"/> can be read.</summary>
    public static int WaitReadable(int fd)
    {
        var descriptor = new PollDescriptor { Fd = fd, Events = PollIn };
        return PollNative(&descriptor, 1, -1) >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private const int AddressFamilyUnix = 1;
    private const int SocketDatagram = 2;
    private const int SocketCloseOnExec = 0x80000;
    private const short PollIn = 1;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    /// <summary>struct sockaddr_un: the family, then 108 bytes of path.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct UnixAddress
    {
        public ushort Family;
        public fixed byte Path[MaxUnixPath + 1];

        /// <summary>An abstract name starts with a NUL and is as long as its length says; a path ends with one.</summary>
        public static UnixAddress For(byte[] name, bool isAbstract, out int length)
        {
            if (name.Length > MaxUnixPath)
                throw new SandboxerException(ExitCodes.Software, "a Unix socket name longer than sun_path");
            var address = new UnixAddress { Family = AddressFamilyUnix };
            int offset = isAbstract ? 1 : 0;
            for (int i = 0; i < name.Length; i++)
                address.Path[offset + i] = name[i];
            length = sizeof(ushort) + offset + name.Length + (isAbstract ? 0 : 1);
            return address;
        }
    }
}
