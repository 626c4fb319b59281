using Sandboxer.Composition;
using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// What a path inside the sandbox shows, worked out from the mounts alone (no process): the
/// last mount made at the path or at one of its parents decides, in the order bwrap makes them.
/// </summary>
public sealed class SandboxView
{
    public SandboxView(Profile profile) => Order = MountOrder.Sort(profile.Mounts);

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
