using System.Runtime.InteropServices;
using System.Text;
using Sandboxer.Interop;

namespace Sandboxer.Profiles;

/// <summary>
/// A profile decides what a service may touch, so only root may write it: the file and every
/// directory above it must be owned by root and not writable by group or others (a sticky
/// world-writable directory such as /tmp excepted, since there nobody can replace root's entries).
/// </summary>
public static class Trust
{
    private const int GroupOrOtherWrite = 0x12; // 0022
    private const int OtherWrite = 0x2;
    private const int Sticky = 0x200;           // 01000

    /// <summary>Reads a profile after checking who can change it. Throws a configuration error otherwise.</summary>
    public static string ReadProfile(string path)
    {
        string real = RealPath(path);
        var checkedFile = CheckFile(real, path);
        for (string? dir = Path.GetDirectoryName(real); dir is not null; dir = Path.GetDirectoryName(dir))
            CheckDirectory(dir, path);

        byte[] bytes;
        try
        {
            bytes = ReadChecked(real, path, checkedFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e);
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw SandboxerException.Config($"{path}: not valid UTF-8");
        }
    }

    private static byte[] ReadChecked(string real, string path, FileStatus checkedFile)
    {
        using var handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read);
        // The file checked and the file opened must be one and the same.
        if (Libc.StatDescriptor((int)handle.DangerousGetHandle(), out var opened) != 0 || opened.Inode != checkedFile.Inode
            || opened.DeviceMajor != checkedFile.DeviceMajor || opened.DeviceMinor != checkedFile.DeviceMinor)
            throw SandboxerException.Config($"{path}: changed while it was being checked");
        var bytes = new byte[RandomAccess.GetLength(handle)];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
                break;
            read += n;
        }
        return read == bytes.Length ? bytes : bytes.AsSpan(0, read).ToArray();
    }

    private static FileStatus CheckFile(string real, string shown)
    {
        var status = Stat(real, shown);
        string where = real == shown ? shown : $"{shown} (which is {real})";
        if (!status.IsRegularFile)
            throw SandboxerException.Config($"{where}: not a regular file");
        if (status.Uid != 0)
            throw SandboxerException.Config($"{where}: not trusted: owned by uid {status.Uid}, not root");
        if ((status.Mode & GroupOrOtherWrite) != 0)
            throw SandboxerException.Config($"{where}: not trusted: writable by {Writers(status.Mode)} (mode {Mode(status.Mode)})");
        return status;
    }

    private static void CheckDirectory(string dir, string shown)
    {
        var status = Stat(dir, shown);
        if (status.Uid != 0)
            throw SandboxerException.Config($"{shown}: not trusted: directory {dir} is owned by uid {status.Uid}, not root");
        bool stickyForAll = (status.Mode & Sticky) != 0 && (status.Mode & OtherWrite) != 0;
        if ((status.Mode & GroupOrOtherWrite) != 0 && !stickyForAll)
            throw SandboxerException.Config($"{shown}: not trusted: directory {dir} is writable by {Writers(status.Mode)} (mode {Mode(status.Mode)})");
    }

    /// <summary>
    /// The relay's state directory: its lock keeps a second instance from starting and its info
    /// names the PID `sandboxer signal` signals. The service's user must own it, root included:
    /// anyone else could plant links there for it to open and truncate.
    /// </summary>
    /// <param name="user">The user who must own it; null when root only reads it (`signal`).</param>
    public static void CheckStateDirectory(string dir, uint? user)
    {
        var status = Stat(dir, dir);
        if (!status.IsDirectory)
            throw SandboxerException.Config($"{dir}: not a directory");
        if (user is not null && status.Uid != user)
            throw SandboxerException.Config($"{dir}: not trusted: owned by uid {status.Uid}, not by uid {user}, which runs the service");
        if ((status.Mode & GroupOrOtherWrite) != 0)
            throw SandboxerException.Config($"{dir}: not trusted: writable by {Writers(status.Mode)} (mode {Mode(status.Mode)})");
    }

    /// <summary>
    /// Whether two paths are the same file, following links (/proc/PID/fd/N included). Nothing is
    /// opened: opening another process's pipe could block.
    /// </summary>
    public static bool SameFile(string a, string b) =>
        Libc.StatPath(a, followLink: true, out var x) == 0 && Libc.StatPath(b, followLink: true, out var y) == 0
        && x.Inode == y.Inode && x.DeviceMajor == y.DeviceMajor && x.DeviceMinor == y.DeviceMinor;

    private static string Writers(int mode) => (mode & GroupOrOtherWrite) == GroupOrOtherWrite ? "group and others"
        : (mode & OtherWrite) != 0 ? "others" : "group";

    private static string Mode(int mode) => System.Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');

    private static FileStatus Stat(string path, string shown)
    {
        int errno = Libc.StatPath(path, followLink: false, out var status);
        return errno == 0 ? status
            : throw SandboxerException.Config($"{shown}: cannot check {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static string RealPath(string path)
    {
        int errno = Libc.RealPath(path, out string real);
        if (errno == Errno.NoEntry)
            throw SandboxerException.Config($"{path}: no such profile");
        return errno == 0 ? real : throw SandboxerException.Config($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
