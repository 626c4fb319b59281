using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;

namespace Sandboxer.Elf;

/// <summary>A symbolic link met on the way to a file: recreated in the sandbox with --symlink TARGET LINK.</summary>
public readonly record struct SymbolicLink(string Target, string Link);

/// <summary>
/// A filesystem seen from a root directory ("/" or an unpacked system such as an arm64 tree):
/// paths are resolved as the kernel resolves them for a process whose root that is, one
/// component at a time, every link met recorded, so that the same path can be made to work in a
/// sandbox that has only the final files. Directories are resolved once and remembered.
/// </summary>
public sealed class FileTree
{
    private const int MaxLinks = 40;

    private readonly string prefix;
    private readonly Dictionary<string, Walk> walked = new(StringComparer.Ordinal);

    /// <param name="root">The directory that is "/" for the program; "/" for this system.</param>
    public FileTree(string root)
    {
        Root = root;
        prefix = root == "/" ? "" : root.TrimEnd('/');
    }

    public string Root { get; }

    /// <summary>Where a path inside the tree is on this system.</summary>
    public string Outside(string path) => prefix + path;

    /// <summary>Where a path resolves to, every link on the way, and whether it is a regular file; null if it does not exist.</summary>
    public readonly record struct Walk(string Path, SymbolicLink[] Links, bool IsRegularFile, bool IsDirectory);

    /// <summary>Resolves an absolute path; null if a component is missing, not a directory, or links loop.</summary>
    public Walk? Resolve(string path)
    {
        if (walked.TryGetValue(path, out var known))
            return known.Path.Length == 0 ? null : known;
        var result = ResolveUncached(path);
        walked[path] = result ?? new Walk("", [], false, false);
        return result;
    }

    private Walk? ResolveUncached(string path)
    {
        if (path == "/")
            return new Walk("/", [], false, true);
        int slash = path.LastIndexOf('/');
        if (slash < 0)
            return null;
        string parentPath = slash == 0 ? "/" : path[..slash];
        string name = path[(slash + 1)..];
        string current;
        List<SymbolicLink> links;
        if (Resolve(parentPath) is not Walk parent || !parent.IsDirectory)
            return null;
        current = parent.Path;
        links = [.. parent.Links];
        if (name is "" or ".")
            return parent;
        if (name == "..")
            return Resolve(Parent(current));

        var pending = new Stack<string>();
        pending.Push(name);
        int hops = 0;
        bool isDirectory = true, isRegular = false;
        while (pending.TryPop(out var component))
        {
            if (component is "" or ".")
                continue;
            if (component == "..")
            {
                current = Parent(current);
                isDirectory = true;
                isRegular = false;
                continue;
            }
            if (!isDirectory)
                return null;
            string next = current == "/" ? "/" + component : current + "/" + component;
            if (Libc.StatPath(Outside(next), followLink: false, out var status) != 0)
                return null;
            if (status.IsSymbolicLink)
            {
                if (++hops > MaxLinks)
                    return null;
                string? target = new FileInfo(Outside(next)).LinkTarget;
                if (string.IsNullOrEmpty(target) || target.Contains('\0'))
                    return null;
                links.Add(new SymbolicLink(target, next));
                var parts = target.Split('/');
                for (int i = parts.Length - 1; i >= 0; i--)
                    pending.Push(parts[i]);
                if (target.StartsWith('/'))
                    current = "/";
                continue;
            }
            current = next;
            isDirectory = status.IsDirectory;
            isRegular = status.IsRegularFile;
        }
        return new Walk(current, [.. links], isRegular, isDirectory);
    }

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>
    /// Opens a resolved regular file for reading without following a link or blocking on a FIFO
    /// swapped in since; null if it is no longer a regular file.
    /// </summary>
    public SafeFileHandle? OpenRegular(string resolved) => OpenRegular(resolved, out _);

    /// <param name="length">The file's size, from the same check.</param>
    public SafeFileHandle? OpenRegular(string resolved, out long length)
    {
        length = 0;
        const int AtCurrentDirectory = -100;
        if (Libc.OpenAt(AtCurrentDirectory, Outside(resolved), Libc.OpenReadOnly | Libc.OpenNoFollow | Libc.OpenCloseOnExec | Libc.OpenNonBlocking, 0, out int fd) != 0)
            return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.StatDescriptor(fd, out var status) != 0 || !status.IsRegularFile)
        {
            handle.Dispose();
            return null;
        }
        length = (long)status.Size;
        return handle;
    }

    /// <summary>A small configuration file's text (its first 64 KB), through its links; null if it is not a regular file.</summary>
    public string? ReadSmall(string path)
    {
        if (Resolve(path) is not { IsRegularFile: true } walk || OpenRegular(walk.Path) is not { } handle)
            return null;
        using (handle)
        {
            var data = new byte[Math.Min(RandomAccess.GetLength(handle), 64 * 1024)];
            return System.Text.Encoding.UTF8.GetString(data, 0, RandomAccess.Read(handle, data, 0));
        }
    }

    /// <summary>The names in a directory of the tree, sorted; none if it is not one.</summary>
    public string[] List(string resolved)
    {
        try
        {
            var names = Directory.GetFileSystemEntries(Outside(resolved)).Select(Path.GetFileName).OfType<string>().ToArray();
            Array.Sort(names, StringComparer.Ordinal);
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
