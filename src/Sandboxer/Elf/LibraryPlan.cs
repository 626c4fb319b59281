using Microsoft.Extensions.Logging;
using Sandboxer.Profiles;

namespace Sandboxer.Elf;

/// <summary>
/// With libraries = "auto": the mounts that give the daemon (and the profile's executables) every
/// file its loader opens, read-only at its real path, and every link on the way with --symlink.
/// Reading headers is I/O, so this is computed before composing and handed to the composer,
/// which stays pure; run and show both call it. Nothing is read unless the profile asks.
/// </summary>
public static partial class LibraryPlan
{
    private static readonly string[] Binds = ["bind", "bind-try", "ro-bind", "ro-bind-try", "dev-bind", "dev-bind-try"];

    /// <param name="root">The filesystem the daemon runs on: "/", or an unpacked system in tests.</param>
    public static List<MountOp> Mounts(Profile profile, ILogger logger, string root = "/")
    {
        var settings = profile.Libraries;
        if (!settings.Auto || profile.Command is not { } command)
            return [];
        var tree = new FileTree(root);
        var resolver = new LibraryResolver(tree, $"{settings.Mode!.Value.Location}: libraries")
        {
            ProcMounted = profile.Mounts.Exists(op => op.Option == "proc" && op.Destination == "/proc"),
        };
        var rules = resolver.AddProgram(command.Value, [.. settings.Dlopen.Select(d => d.Value)]);
        foreach (var executable in settings.Executables)
            resolver.AddProgram(executable.Value, []);
        if (settings.Runtime.Count > 0)
        {
            foreach (var outcome in RuntimeFiles.Add(resolver, tree, command.Value, rules, settings.Runtime.Select(r => r.Value)))
            {
                if (outcome.Nothing is string nothing)
                    LogNothing(logger, outcome.Name, nothing);
                foreach (var absent in outcome.Absent)
                    LogAbsent(logger, outcome.Name, absent);
            }
        }

        var covered = Covered(profile);
        var mounts = new List<MountOp>(resolver.Links.Count + resolver.Files.Count);
        foreach (var link in resolver.Links)
        {
            if (!IsCovered(covered, link.Link))
                mounts.Add(new MountOp("symlink", [link.Target, link.Link], link.Link, null, 0, [], settings.Mode.Value.Location));
        }
        foreach (var file in resolver.Files)
        {
            if (IsCovered(covered, file.Path) || !resolver.BoundDirectories.Contains(file.Path) && IsCovered(resolver.BoundDirectories, file.Path))
            {
                LogCovered(logger, file.Path);
                continue;
            }
            LogChosen(logger, file.Path, file.Reason);
            mounts.Add(new MountOp("ro-bind", [tree.Outside(file.Path), file.Path], file.Path, null, 0, [], settings.Mode.Value.Location));
        }
        return DirectoryBinds.Group(mounts, tree, logger);
    }

    /// <summary>What the profile binds itself, same path on both sides: nothing under it needs a bind of its own.</summary>
    private static HashSet<string> Covered(Profile profile)
    {
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in profile.Mounts)
        {
            if (Array.IndexOf(Binds, op.Option) >= 0 && op.Operands.Length == 2 && op.Operands[0].TrimEnd('/') == op.Destination.TrimEnd('/'))
                covered.Add(op.Destination.Length > 1 ? op.Destination.TrimEnd('/') : op.Destination);
        }
        return covered;
    }

    private static bool IsCovered(IReadOnlySet<string> covered, string path)
    {
        if (covered.Count == 0)
            return false;
        for (string? at = path; at is not null; at = at == "/" ? null : Path.GetDirectoryName(at))
        {
            if (covered.Contains(at))
                return true;
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "library {Path}: {Reason}")]
    private static partial void LogChosen(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "runtime \"{Name}\": nothing to add: {Why}")]
    private static partial void LogNothing(ILogger logger, string name, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "runtime \"{Name}\": not present, not bound: {What}")]
    private static partial void LogAbsent(ILogger logger, string name, string what);

    [LoggerMessage(Level = LogLevel.Debug, Message = "library {Path}: already under a bind of the profile's own or of a runtime directory")]
    private static partial void LogCovered(ILogger logger, string path);
}
