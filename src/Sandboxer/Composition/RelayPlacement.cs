using Sandboxer.Profiles;

namespace Sandboxer.Composition;

/// <summary>
/// Where the relay's files go inside the sandbox, and the proof that putting them there writes
/// nothing on a host filesystem. bwrap creates a bind's destination (and its parents) in
/// whatever is mounted there: inside a host directory bound by the profile, that would create
/// files on the host. So the directory must land on the sandbox's own root or on a tmpfs the
/// profile made, and the profile may not mount anything at or below it.
/// </summary>
public static class RelayPlacement
{
    public const string Directory = "/run/sandboxer";

    /// <summary>Throws a configuration error naming the mount that rules the directory out.</summary>
    public static void Check(IReadOnlyList<MountOp> mounts)
    {
        MountOp? cover = null;
        foreach (var op in mounts)
        {
            string dest = op.Destination;
            if (dest == Directory || dest.StartsWith(Directory + "/", StringComparison.Ordinal))
                throw Error(op, $"{Directory} is where the stop relay's files go; the profile cannot mount there (or set [stop] relay = false)");
            // `dir` creates a directory in whatever is mounted there: it decides nothing itself.
            if (op.Option != "dir" && IsAncestor(dest, Directory) && (cover is null || dest.Length >= cover.Destination.Length))
                cover = op;
        }
        if (cover is null || cover.Option is "tmpfs" or "dev" or "tmp-overlay")
            return;
        string what = cover.Option switch
        {
            "symlink" => "is a symbolic link",
            "proc" or "mqueue" => $"is a {cover.Option} filesystem",
            _ => "is a directory of the host's",
        };
        throw Error(cover, $"{cover.Destination} {what}, and the stop relay would have to create {Directory} in it: " +
            "bind only what the daemon needs below it (a tmpfs, or the sandbox's own root, may hold the rest), or set [stop] relay = false");
    }

    private static bool IsAncestor(string dest, string path) =>
        dest == "/" || path.StartsWith(dest + "/", StringComparison.Ordinal);

    private static SandboxerException Error(MountOp op, string why) => TomlValues.Error(op.Location, "sandbox." + op.Option, why);
}
