using System.IO.Enumeration;
using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// A symbolic link inside a bound directory whose target, read inside the sandbox, is under no
/// mount while it exists on the host: the daemon finds a dangling link where the host has a
/// file (Debian's /etc/alternatives, certificates linked from /usr/share). Links are read, never
/// followed, and the walk stays on the host's side of each bind.
/// </summary>
public sealed class OutsideLinkCheck : ICheck
{
    /// <summary>Entries read per profile at most: a bound /usr is about 100,000 on a desktop, far less on a server.</summary>
    public const int Budget = 300_000;

    /// <summary>Directories named one by one per mount; the rest are counted.</summary>
    private const int Shown = 5;

    public void Check(CheckContext context, List<Finding> findings)
    {
        int budget = Budget;
        foreach (var op in context.Profile.Mounts)
        {
            if (!SandboxView.IsBind(op) || budget <= 0)
                continue;
            string source = op.Operands[0];
            if (Interop.Libc.StatPath(source, followLink: true, out var status) != 0 || !status.IsDirectory)
                continue;
            var outside = new List<(string Link, string Target, string Host)>();
            foreach (var (path, target) in Links(source, ref budget))
            {
                string inside = SandboxView.Normalize(op.Destination + "/" + path[source.TrimEnd('/').Length..]);
                string sandboxTarget = SandboxView.Normalize(target.StartsWith('/') ? target : Parent(inside) + "/" + target);
                if (context.View.Covering(sandboxTarget) is not null)
                    continue;
                string hostTarget = SandboxView.Normalize(target.StartsWith('/') ? target : Parent(path) + "/" + target);
                if (Interop.Libc.StatPath(hostTarget, followLink: false, out _) == 0)
                    outside.Add((path, target, hostTarget));
            }
            // One line per directory the links lead into: /etc/alternatives, not its 500 entries.
            string key = "sandbox." + op.Option;
            var groups = outside.GroupBy(o => Parent(o.Host)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            foreach (var group in groups.Take(Shown))
            {
                var (link, target, _) = group.First();
                string count = group.Count() == 1 ? "a link" : $"{group.Count()} links";
                findings.Add(Finding.Warning(op.Location, key,
                    $"{count} in {source} lead into {group.Key}, which no mount brings in (such as {link} -> {target}): the daemon sees them dangling; ro-bind = [\"{group.Key}\"] would bring it in"));
            }
            if (groups.Count > Shown)
                findings.Add(Finding.Warning(op.Location, key, $"and links in {source} into {groups.Count - Shown} more directories that no mount brings in"));
            if (budget <= 0)
                findings.Add(new Finding(Severity.Note, op.Location, key, $"stopped looking for links after {Budget} entries; the rest of the bound trees is not checked"));
        }
    }

    /// <summary>Each symbolic link under <paramref name="root"/> with its target as written; links to directories are not entered.</summary>
    private static IEnumerable<(string Path, string Target)> Links(string root, ref int budget)
    {
        var found = new List<(string, string)>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        var entries = new FileSystemEnumerable<(string Path, bool IsLink)>(root,
            (ref FileSystemEntry entry) => (entry.ToFullPath(), (entry.Attributes & FileAttributes.ReparsePoint) != 0), options)
        {
            ShouldRecursePredicate = (ref FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        try
        {
            foreach (var (path, isLink) in entries)
            {
                if (--budget <= 0)
                    break;
                if (isLink && new FileInfo(path).LinkTarget is { } target)
                    found.Add((path, target));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A tree that changes while it is read: what was read is still worth reporting.
        }
        return found;
    }

    private static string Parent(string path) => path.Length > 1 && path.LastIndexOf('/') is int slash and > 0 ? path[..slash] : "/";
}
