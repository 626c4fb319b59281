using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;

namespace Sandboxer.Trust;

/// <summary>
/// Paths that decide what a sandbox may do (profiles, the relay's state root) are trusted only
/// when no user but root could have changed what they lead to: every directory on the way, every
/// symbolic link on the way and the final file are owned by root, and no directory or file is
/// writable by group or others. A sticky directory (such as /tmp) may be passed through, since
/// there nobody else can rename or remove root's entries; an entry another user made there is
/// still that user's, and refused.
///
/// The walk opens one component at a time relative to the directory it has just checked, never
/// following a link by itself (O_NOFOLLOW), and checks each descriptor it opened rather than a
/// path: nothing can be swapped between the check and the use.
/// </summary>
public static class TrustedPath
{
    private const int GroupOrOtherWrite = 0x12; // 0022
    private const int OtherWrite = 0x2;
    private const int Sticky = 0x200;           // 01000
    private const int MaxLinks = 40;            // the kernel's own limit on links in one lookup

    /// <summary>Reads a file after proving the path to it is root's alone. Errors name <paramref name="shown"/>.</summary>
    public static byte[] ReadFile(string path, string shown, string missing = "No such file or directory")
    {
        // An admin's `mv` of a new version over the file between its check and its open is no
        // fault: the whole path is walked and checked again, and the new version read whole.
        const int Attempts = 4;
        for (int attempt = 1; ; attempt++)
        {
            using var walk = Walk(path, shown, missing);
            if (walk.ReadFinal(lastAttempt: attempt == Attempts) is { } bytes)
                return bytes;
        }
    }

    /// <summary>
    /// Opens a directory after proving the path to it is root's alone, and returns a descriptor
    /// on it (O_PATH) to open what is inside relative to it.
    /// </summary>
    public static SafeFileHandle OpenDirectory(string path, string shown)
    {
        using var walk = Walk(path, shown, "No such file or directory");
        return walk.TakeFinalDirectory();
    }

    /// <summary>The directory status rule alone, for a directory opened another way.</summary>
    internal static string? DirectoryProblem(in FileStatus status)
    {
        if (status.Uid != 0)
            return $"is owned by uid {status.Uid}, not root";
        bool sticky = (status.Mode & Sticky) != 0;
        return (status.Mode & GroupOrOtherWrite) != 0 && !sticky ? $"is writable by {Writers(status.Mode)} (mode {Mode(status.Mode)})" : null;
    }

    public static string Writers(int mode) => (mode & GroupOrOtherWrite) == GroupOrOtherWrite ? "group and others"
        : (mode & OtherWrite) != 0 ? "others" : "group";

    public static string Mode(int mode) => Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');

    private static Walker Walk(string path, string shown, string missing)
    {
        if (!path.StartsWith('/'))
            throw SandboxerException.Config($"{shown}: {path} is not an absolute path");
        var walker = new Walker(shown, missing);
        try
        {
            walker.Run(path);
            return walker;
        }
        catch
        {
            walker.Dispose();
            throw;
        }
    }

    /// <summary>One walk: the checked directories so far (for ".."), the component left to do.</summary>
    private sealed class Walker(string shown, string missing) : IDisposable
    {
        private readonly List<(int Fd, string Path)> directories = [];
        private readonly LinkedList<string> todo = new();
        private int finalFd = -1;
        private FileStatus finalStatus;
        private string finalPath = "";
        private string finalName = "";
        private int links;

        public void Run(string path)
        {
            directories.Add((OpenChecked(Libc.AtFdCwd, "/", "/"), "/"));
            Push(path);
            while (todo.First is { } node)
            {
                string name = node.Value;
                todo.RemoveFirst();
                if (name is "" or ".")
                    continue;
                if (name == "..")
                {
                    if (directories.Count > 1)
                    {
                        Libc.Close(directories[^1].Fd);
                        directories.RemoveAt(directories.Count - 1);
                    }
                    continue;
                }
                var (parentFd, parentPath) = directories[^1];
                string here = parentPath == "/" ? "/" + name : parentPath + "/" + name;
                int fd = Open(parentFd, name, here, out var status);
                if (status.IsSymbolicLink)
                {
                    FollowLink(fd, status, here);
                    continue;
                }
                if (todo.Count == 0 || RestIsEmpty())
                {
                    (finalFd, finalStatus, finalPath, finalName) = (fd, status, here, name);
                    return;
                }
                if (!status.IsDirectory)
                {
                    Libc.Close(fd);
                    throw SandboxerException.Config($"{shown}: {here} is not a directory");
                }
                CheckDirectory(fd, status, here);
                directories.Add((fd, here));
            }
            // The path ended at a directory already on the stack ("/", or "a/..").
            var (last, lastPath) = directories[^1];
            directories.RemoveAt(directories.Count - 1);
            Libc.StatDescriptor(last, out finalStatus);
            (finalFd, finalPath, finalName) = (last, lastPath, ".");
        }

        private bool RestIsEmpty()
        {
            foreach (var rest in todo)
            {
                if (rest is not ("" or "."))
                    return false;
            }
            return true;
        }

        private void Push(string path)
        {
            var parts = path.Split('/');
            for (int i = parts.Length - 1; i >= 0; i--)
                todo.AddFirst(parts[i]);
        }

        private void FollowLink(int fd, FileStatus status, string here)
        {
            try
            {
                if (status.Uid != 0)
                    throw SandboxerException.Config($"{shown}: not trusted: link {here} is owned by uid {status.Uid}, not root");
                if (++links > MaxLinks)
                    throw SandboxerException.Config($"{shown}: too many levels of symbolic links at {here}");
                int errno = Libc.ReadLink(fd, out var bytes);
                if (errno != 0)
                    throw SandboxerException.Config($"{shown}: cannot read the link {here}: {Marshal.GetPInvokeErrorMessage(errno)}");
                string target = System.Text.Encoding.UTF8.GetString(bytes);
                if (target.StartsWith('/'))
                {
                    for (int i = directories.Count - 1; i >= 1; i--)
                        Libc.Close(directories[i].Fd);
                    directories.RemoveRange(1, directories.Count - 1);
                }
                Push(target);
            }
            finally
            {
                Libc.Close(fd);
            }
        }

        private int Open(int parentFd, string name, string here, out FileStatus status)
        {
            int errno = Libc.OpenAt(parentFd, name, Libc.OpenPath | Libc.OpenNoFollow | Libc.OpenCloseOnExec, 0, out int fd);
            if (errno == Errno.NoEntry)
                throw SandboxerException.Config(todo.Count == 0 || RestIsEmpty() ? $"{shown}: {missing}" : $"{shown}: {here}: No such file or directory");
            if (errno != 0)
                throw SandboxerException.Config($"{shown}: cannot open {here}: {Marshal.GetPInvokeErrorMessage(errno)}");
            errno = Libc.StatDescriptor(fd, out status);
            if (errno != 0)
            {
                Libc.Close(fd);
                throw SandboxerException.Config($"{shown}: cannot check {here}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return fd;
        }

        private int OpenChecked(int parentFd, string name, string here)
        {
            int fd = Open(parentFd, name, here, out var status);
            CheckDirectory(fd, status, here);
            return fd;
        }

        private void CheckDirectory(int fd, in FileStatus status, string here)
        {
            if (DirectoryProblem(status) is { } problem)
            {
                Libc.Close(fd);
                throw SandboxerException.Config($"{shown}: not trusted: directory {here} {problem}");
            }
        }

        /// <summary>The final file, opened for reading relative to its checked directory and checked again on that descriptor.</summary>
        /// <returns>Null when another file took its name in between, unless <paramref name="lastAttempt"/>.</returns>
        public byte[]? ReadFinal(bool lastAttempt)
        {
            string where = finalPath == shown ? shown : $"{shown} (which is {finalPath})";
            if (!finalStatus.IsRegularFile)
                throw SandboxerException.Config($"{where}: not a regular file");
            // O_NONBLOCK: should the file be swapped for a FIFO after all, opening it must not hang.
            int errno = Libc.OpenAt(directories[^1].Fd, finalName,
                Libc.OpenReadOnly | Libc.OpenNoFollow | Libc.OpenNonBlocking | Libc.OpenNoControllingTerminal | Libc.OpenCloseOnExec, 0, out int fd);
            if (errno != 0)
                throw SandboxerException.Config($"{where}: {Marshal.GetPInvokeErrorMessage(errno)}");
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (Libc.StatDescriptor(fd, out var opened) != 0 || !opened.SameFile(finalStatus) || !opened.IsRegularFile)
                return lastAttempt ? throw SandboxerException.Config($"{shown}: changed while it was being checked") : null;
            if (opened.Uid != 0)
                throw SandboxerException.Config($"{where}: not trusted: owned by uid {opened.Uid}, not root");
            if ((opened.Mode & GroupOrOtherWrite) != 0)
                throw SandboxerException.Config($"{where}: not trusted: writable by {Writers(opened.Mode)} (mode {Mode(opened.Mode)})");
            // In a directory others may write (a sticky one), a second name for a root-owned file
            // may be another user's hard link to any file of root's (where fs.protected_hardlinks
            // is 0, as the kernel has it by default), chosen to stand in for a profile.
            var (parentFd, parentPath) = directories[^1];
            if (opened.Links != 1 && Libc.StatDescriptor(parentFd, out var parent) == 0 && (parent.Mode & GroupOrOtherWrite) != 0)
                throw SandboxerException.Config($"{where}: not trusted: it has {opened.Links} names, and directory {parentPath} is writable by " +
                    $"{Writers(parent.Mode)}, where another user could have made one of them: keep profiles in a directory only root may write");
            return ReadAll(handle, where);
        }

        public SafeFileHandle TakeFinalDirectory()
        {
            if (!finalStatus.IsDirectory)
                throw SandboxerException.Config($"{shown}: {finalPath} is not a directory");
            CheckDirectory(finalFd, finalStatus, finalPath);
            int fd = finalFd;
            finalFd = -1;
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        public void Dispose()
        {
            foreach (var (fd, _) in directories)
                Libc.Close(fd);
            directories.Clear();
            if (finalFd >= 0)
                Libc.Close(finalFd);
            finalFd = -1;
        }
    }

    /// <summary>A regular file's bytes, read with pread until its end.</summary>
    public static byte[] ReadAll(SafeFileHandle handle, string shown)
    {
        try
        {
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(shown, e);
        }
    }
}
