using System.IO.Enumeration;
using Microsoft.Extensions.Logging;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Elf;

/// <summary>
/// Fewer mounts for the same files: where the library plan binds every entry of a directory
/// anyway (an application's private lib directory, typically), one bind of the directory
/// replaces the binds of its files and the --symlink of its links. Each bind is a mount bwrap
/// makes at every start, so this is what keeps "exactly what the loader opens" cheap. The rule
/// never grants an entry the plan did not: a directory is taken whole only when each of its
/// entries (dot files included) is a file the plan binds or a link it recreates, so one extra
/// file, any subdirectory, FIFO or socket keeps its files bound one by one. The directory must
/// be root's (or the caller's) and writable by no one else, since a bind shows what is added to
/// it later too.
/// </summary>
public static partial class DirectoryBinds
{
    // One file gains nothing from a directory bind.
    private const int MinimumFiles = 2;
    private const int GroupOrOtherWrite = 0x12;

    /// <param name="mounts">The plan's mounts: --symlink and ro-bind ops, each at its own path.</param>
    /// <returns>The same mounts, in the same order, with each directory taken whole as one ro-bind where the first of its files was.</returns>
    public static List<MountOp> Group(List<MountOp> mounts, FileTree tree, ILogger logger)
    {
        var files = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var planned = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < mounts.Count; i++)
        {
            var op = mounts[i];
            planned.Add(op.Destination);
            if (op.Option != "ro-bind")
                continue;
            string parent = Parent(op.Destination);
            if (!files.TryGetValue(parent, out var indexes))
                files[parent] = indexes = [];
            indexes.Add(i);
        }

        var whole = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (directory, indexes) in files)
        {
            if (indexes.Count >= MinimumFiles && directory != "/" && OnlyPlanned(tree.Outside(directory), directory, planned))
            {
                whole[directory] = indexes[0];
                LogWhole(logger, directory, indexes.Count);
            }
        }
        if (whole.Count == 0)
            return mounts;

        var grouped = new List<MountOp>(mounts.Count);
        for (int i = 0; i < mounts.Count; i++)
        {
            var op = mounts[i];
            string parent = Parent(op.Destination);
            if (!whole.TryGetValue(parent, out int first))
                grouped.Add(op);
            else if (first == i)
                grouped.Add(op with { Operands = [tree.Outside(parent), parent], Destination = parent });
        }
        return grouped;
    }

    /// <summary>Whether every entry of the directory is a path the plan binds or links, and no one but root or the caller can add one.</summary>
    private static bool OnlyPlanned(string outside, string directory, HashSet<string> planned)
    {
        if (Libc.StatPath(outside, followLink: false, out var status) != 0 || !status.IsDirectory
            || status.Uid != 0 && status.Uid != Libc.GetEffectiveUserId() || (status.Mode & GroupOrOtherWrite) != 0)
            return false;
        string prefix = directory + "/";
        try
        {
            // Stops at the first entry the plan does not have: a system directory of thousands
            // of libraries costs one getdents, not a list of its names.
            var entries = new FileSystemEnumerable<bool>(outside, (ref FileSystemEntry entry) => planned.Contains(string.Concat(prefix, entry.FileName)),
                new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false });
            foreach (bool isPlanned in entries)
            {
                if (!isPlanned)
                    return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "library directory {Directory}: every entry is bound or linked anyway, so one bind for its {Count} files")]
    private static partial void LogWhole(ILogger logger, string directory, int count);
}
