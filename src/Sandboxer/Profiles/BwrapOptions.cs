namespace Sandboxer.Profiles;

/// <summary>What a [sandbox] key's value looks like in TOML and how it becomes bwrap arguments.</summary>
public enum OptionShape
{
    /// <summary>true emits the option; false (or absence) does not.</summary>
    Flag,
    /// <summary>One string operand; a spoke's value replaces the hub's.</summary>
    Text,
    /// <summary>One absolute path operand; a spoke's value replaces the hub's.</summary>
    Path,
    /// <summary>One integer operand (uid, gid); a spoke's value replaces the hub's.</summary>
    Id,
    /// <summary>A string or an array of strings; each repeats the option.</summary>
    TextList,
    /// <summary>A capability name or an array of them.</summary>
    Capabilities,
    /// <summary>An absolute path or an array of them; each repeats the option.</summary>
    PathList,
    /// <summary>A table of variable = value.</summary>
    Environment,
    /// <summary>A mount made at one destination: a path or an array of paths.</summary>
    Mount,
    /// <summary>Like Mount, and an element may be { path, perms } (and size, for tmpfs).</summary>
    CreatedMount,
    /// <summary>Two operands: a path (the same on both sides) or { from, to }.</summary>
    Bind,
    /// <summary>{ from, to }: from is the link's target and may be relative.</summary>
    Symlink,
    /// <summary>An overlay: { sources = [...], to } (and rw, work for --overlay).</summary>
    Overlay,
    /// <summary>Changes a path made by a mount: a path or an array of them, applied after all mounts.</summary>
    Remount,
    /// <summary>{ mode, path } or an array of them, applied after all mounts.</summary>
    Chmod,
}

/// <param name="Name">The key, which is bwrap's long option without "--".</param>
/// <param name="Since">The first bubblewrap release that has the option ("0.4": 0.4.0 or earlier).</param>
public sealed record OptionSpec(string Name, OptionShape Shape, string Since)
{
    public bool IsMount => Shape is OptionShape.Mount or OptionShape.CreatedMount or OptionShape.Bind
        or OptionShape.Symlink or OptionShape.Overlay;
}

/// <summary>
/// Every bwrap option up to 0.11 that takes no file descriptor (those are the composer's own to
/// create and pass). The order here is the order of the composed argv, which matters to bwrap in
/// a few places: --unshare-all before --share-net, --clearenv before --setenv, caps dropped before
/// caps added; mounts follow all of these.
/// </summary>
public static class BwrapOptions
{
    public static readonly OptionSpec[] All =
    [
        new("unshare-all", OptionShape.Flag, "0.4"),
        new("unshare-user", OptionShape.Flag, "0.4"),
        new("unshare-user-try", OptionShape.Flag, "0.4"),
        new("unshare-ipc", OptionShape.Flag, "0.4"),
        new("unshare-pid", OptionShape.Flag, "0.4"),
        new("unshare-net", OptionShape.Flag, "0.4"),
        new("unshare-uts", OptionShape.Flag, "0.4"),
        new("unshare-cgroup", OptionShape.Flag, "0.4"),
        new("unshare-cgroup-try", OptionShape.Flag, "0.4"),
        new("share-net", OptionShape.Flag, "0.4"),
        new("disable-userns", OptionShape.Flag, "0.8"),
        new("assert-userns-disabled", OptionShape.Flag, "0.8"),
        new("uid", OptionShape.Id, "0.4"),
        new("gid", OptionShape.Id, "0.4"),
        new("hostname", OptionShape.Text, "0.4"),
        new("chdir", OptionShape.Path, "0.4"),
        new("clearenv", OptionShape.Flag, "0.5"),
        new("unsetenv", OptionShape.TextList, "0.4"),
        new("setenv", OptionShape.Environment, "0.4"),
        new("cap-drop", OptionShape.Capabilities, "0.4"),
        new("cap-add", OptionShape.Capabilities, "0.4"),
        new("new-session", OptionShape.Flag, "0.4"),
        new("die-with-parent", OptionShape.Flag, "0.4"),
        new("as-pid-1", OptionShape.Flag, "0.4"),
        new("argv0", OptionShape.Text, "0.9"),
        new("exec-label", OptionShape.Text, "0.4"),
        new("file-label", OptionShape.Text, "0.4"),
        new("lock-file", OptionShape.PathList, "0.4"),
        new("level-prefix", OptionShape.Flag, "0.11"),
        new("proc", OptionShape.Mount, "0.4"),
        new("dev", OptionShape.Mount, "0.4"),
        new("mqueue", OptionShape.Mount, "0.4"),
        new("tmpfs", OptionShape.CreatedMount, "0.4"),
        new("dir", OptionShape.CreatedMount, "0.4"),
        new("bind", OptionShape.Bind, "0.4"),
        new("bind-try", OptionShape.Bind, "0.4"),
        new("dev-bind", OptionShape.Bind, "0.4"),
        new("dev-bind-try", OptionShape.Bind, "0.4"),
        new("ro-bind", OptionShape.Bind, "0.4"),
        new("ro-bind-try", OptionShape.Bind, "0.4"),
        new("symlink", OptionShape.Symlink, "0.4"),
        new("overlay", OptionShape.Overlay, "0.11"),
        new("tmp-overlay", OptionShape.Overlay, "0.11"),
        new("ro-overlay", OptionShape.Overlay, "0.11"),
        new("remount-ro", OptionShape.Remount, "0.4"),
        new("chmod", OptionShape.Chmod, "0.5"),
    ];

    /// <summary>Options that take a descriptor: reserved for what the composer itself creates.</summary>
    public static readonly string[] DescriptorOptions =
    [
        "args", "userns", "userns2", "pidns", "seccomp", "add-seccomp-fd", "block-fd", "userns-block-fd",
        "info-fd", "json-status-fd", "sync-fd", "file", "bind-data", "ro-bind-data", "bind-fd", "ro-bind-fd",
    ];

    /// <summary>Capability names bwrap accepts besides ALL (Linux 5.9's full set).</summary>
    public static readonly string[] Capabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];

    public static OptionSpec? Find(string name)
    {
        foreach (var spec in All)
        {
            if (spec.Name == name)
                return spec;
        }
        return null;
    }
}
