using Sandboxer.Composition;
using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// What a path inside the sandbox shows, worked out from the mounts alone (no process): the
/// last mount made at the path or at one of its parents decides, in the order bwrap makes them.
/// </summary>
public sealed class SandboxView
{
    /// <param name="computed">Mounts made for the profile rather than written in it (libraries = "auto").</param>
    public SandboxView(Profile profile, IReadOnlyList<MountOp>? computed = null) =>
        Order = MountOrder.Sort(computed is { Count: > 0 } ? [.. profile.Mounts, .. computed] : profile.Mounts);

    /// <summary>The mounts in the order bwrap makes them.</summary>
    public IReadOnlyList<MountOp> Order { get; }

    /// <summary>The mount that decides what is at <paramref name="path"/>; null when nothing is mounted there (an empty root).</summary>
    public MountOp? Covering(string path)
    {
        path = Normalize(path);
        for (int i = Order.Count - 1; i >= 0; i--)
        {
            if (Contains(Order[i].Destination, path))
                return Order[i];
        }
        return null;
    }

    /// <summary>
    /// The path with every --symlink the sandbox makes on the way followed (as libraries = "auto"
    /// recreates /bin -> usr/bin), up to the kernel's 40 links; the path itself otherwise.
    /// </summary>
    public string Resolve(string path)
    {
        path = Normalize(path);
        for (int links = 0; links < 40; links++)
        {
            var op = Covering(path);
            if (op is null || op.Option != "symlink")
                return path;
            string target = op.Operands[0];
            string rest = path[op.Destination.Length..];
            string parent = op.Destination[..(op.Destination.LastIndexOf('/') + 1)];
            path = Normalize((target.StartsWith('/') ? target : parent + target) + rest);
        }
        return path;
    }

    /// <summary>The host path a sandbox path shows through a bind; null when no bind decides it.</summary>
    public string? HostPath(string path)
    {
        path = Normalize(path);
        var op = Covering(path);
        if (op is null || !IsBind(op))
            return null;
        string rest = path[op.Destination.Length..].TrimStart('/');
        return rest.Length == 0 ? op.Operands[0] : op.Operands[0].TrimEnd('/') + "/" + rest;
    }

    public static bool IsBind(MountOp op) => BwrapOptions.Find(op.Option)?.Shape == OptionShape.Bind;

    public static bool IsOptional(MountOp op) => op.Option.EndsWith("-try", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or inside it (both normalised).</summary>
    public static bool Contains(string directory, string path) =>
        directory == "/" || path == directory || path.StartsWith(directory, StringComparison.Ordinal) && path[directory.Length] == '/';

    /// <summary>An absolute path without empty, "." and ".." parts; ".." above the root stays at the root, as the kernel has it.</summary>
    public static string Normalize(string path)
    {
        var kept = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (kept.Count > 0)
                    kept.RemoveAt(kept.Count - 1);
            }
            else if (part != ".")
                kept.Add(part);
        }
        return "/" + string.Join('/', kept);
    }
}
