using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>
/// Files reached through directory descriptors: every path a hostile user may change is opened
/// one component at a time, without following links, and checked on the descriptor itself.
/// </summary>
internal static unsafe partial class Libc
{
    public const int OpenReadOnly = 0;
    public const int OpenReadWrite = 2;
    public const int OpenCreate = 0x40;
    public const int OpenExclusive = 0x80;
    public const int OpenNoControllingTerminal = 0x100;
    public const int OpenNonBlocking = 0x800;
    public const int OpenCloseOnExec = 0x80000;
    /// <summary>O_PATH: a handle on the file itself (a link, a directory), not open for reading.</summary>
    public const int OpenPath = 0x200000;

    // O_DIRECTORY and O_NOFOLLOW differ between x86-64 and arm64 (asm-generic vs arm64's own fcntl.h).
    public static readonly int OpenDirectory = IsX64 ? 0x10000 : 0x4000;
    public static readonly int OpenNoFollow = IsX64 ? 0x20000 : 0x8000;

    private static bool IsX64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport(LibraryName, EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAtNative(int dirfd, byte* path, int flags, int mode);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    [LibraryImport(LibraryName, EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAtNative(int dirfd, byte* path, int mode);

    [LibraryImport(LibraryName, EntryPoint = "fchmodat", SetLastError = true)]
    private static partial int ChmodAtNative(int dirfd, byte* path, int mode, int flags);

    [LibraryImport(LibraryName, EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAtNative(int dirfd, byte* path, byte* buffer, nuint size);

    [LibraryImport(LibraryName, EntryPoint = "pread", SetLastError = true)]
    private static partial nint PReadNative(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(LibraryName, EntryPoint = "dup3", SetLastError = true)]
    private static partial int Dup3Native(int fd, int target, int flags);

    /// <summary>openat(2): a descriptor in <paramref name="fd"/>, or -1 and the errno.</summary>
    public static int OpenAt(int dirfd, string path, int flags, int mode, out int fd)
    {
        fixed (byte* p = NullTerminated(path))
            fd = OpenAtNative(dirfd, p, flags, mode);
        return fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int Close(int fd) => CloseNative(fd) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int MkdirAt(int dirfd, string path, int mode)
    {
        fixed (byte* p = NullTerminated(path))
            return MkdirAtNative(dirfd, p, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>fchmodat(2), which unlike mkdirat's mode is not cut by the umask.</summary>
    public static int ChmodAt(int dirfd, string path, int mode)
    {
        fixed (byte* p = NullTerminated(path))
            return ChmodAtNative(dirfd, p, mode, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The target of the link an O_PATH descriptor holds (readlinkat with an empty path).</summary>
    public static int ReadLink(int linkFd, out byte[] target)
    {
        var buffer = stackalloc byte[4096];
        byte empty = 0;
        nint length = ReadLinkAtNative(linkFd, &empty, buffer, 4096);
        target = length >= 0 ? new Span<byte>(buffer, (int)length).ToArray() : [];
        if (length < 0)
            return Marshal.GetLastPInvokeError();
        return length < 4096 ? 0 : Errno.NameTooLong;
    }

    /// <summary>
    /// pread(2) into <paramref name="buffer"/>, retried on EINTR: what one call gave (0 at the end
    /// of the file). RandomAccess.Read asks the kernel first whether the file can seek (lseek).
    /// </summary>
    public static int PRead(int fd, Span<byte> buffer, long offset, out int read)
    {
        nint n;
        fixed (byte* b = buffer)
        {
            do
                n = PReadNative(fd, b, (nuint)buffer.Length, offset);
            while (n < 0 && Marshal.GetLastPInvokeError() == Errno.Interrupted);
        }
        read = n >= 0 ? (int)n : 0;
        return n >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>dup3(2): <paramref name="target"/> becomes a copy, which an exec passes on unless <paramref name="closeOnExec"/>.</summary>
    public static int DuplicateTo(int fd, int target, bool closeOnExec) =>
        Dup3Native(fd, target, closeOnExec ? OpenCloseOnExec : 0) >= 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>F_DUPFD_CLOEXEC: a copy at <paramref name="lowest"/> or above, closed on exec.</summary>
    public static int DuplicateAbove(int fd, int lowest, out int copy)
    {
        copy = Fcntl(fd, FdDuplicateCloseOnExec, lowest);
        return copy >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Status of a path relative to a directory descriptor, never following a final link.</summary>
    public static int StatAt(int dirfd, string path, out FileStatus status)
    {
        status = default;
        fixed (byte* p = NullTerminated(path))
        fixed (FileStatus* s = &status)
        {
            return Syscall(Numbers.Statx, dirfd, (long)p, AtSymlinkNoFollow, StatxBasicStats, (long)s) == 0
                ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private const int FdDuplicateCloseOnExec = 1030;

    private static byte[] NullTerminated(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
