using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// [sandbox]'s loosenings and their weights. The weights rank what a compromised daemon gains:
/// the host's root (a container engine's socket, CAP_SYS_ADMIN) over the network over the
/// host's files over information about the host.
/// </summary>
public sealed class SandboxRules : IExposureRule
{
    public const double Network = 3.0;
    public const double EngineSocket = 5.0;
    public const double Socket = 1.0;
    public const double WritableSystem = 2.0;
    public const double WritableData = 0.5;
    public const double DeviceBind = 2.0;
    public const double KernelInterface = 1.5;
    public const double Proc = 1.0;
    public const double Home = 1.0;
    public const double StrongCapability = 3.0;
    public const double Capability = 1.0;
    public const double CapabilitiesKept = 2.0;
    public const double Environment = 0.5;
    public const double Session = 1.0;
    public const double Parent = 0.3;
    public const double UserNamespaces = 0.5;

    /// <summary>Namespaces other than the network's, and what sharing each gives away.</summary>
    private static readonly (string Flag, double Weight, string Reason)[] Namespaces =
    [
        ("unshare-pid", 1.0, "host PID namespace: the daemon sees every process of the host and can signal its user's"),
        ("unshare-ipc", 0.5, "host IPC namespace: System V shared memory and semaphores of the host"),
        ("unshare-user", 0.5, "no user namespace of its own: the daemon runs with the host's view of users"),
        ("unshare-uts", 0.2, "host UTS namespace: the daemon may read the host's name"),
        ("unshare-cgroup", 0.2, "host cgroup namespace: the daemon sees the host's cgroup tree"),
    ];

    /// <summary>A container engine's socket is root on the host for whoever can write to it.</summary>
    private static readonly string[] EngineSockets =
    [
        "/run/docker.sock", "/var/run/docker.sock", "/run/containerd/containerd.sock", "/run/podman/podman.sock",
        "/var/run/podman/podman.sock", "/run/crio/crio.sock",
    ];

    private static readonly string[] StrongCapabilities =
    [
        "ALL", "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_FOWNER", "CAP_NET_ADMIN", "CAP_BPF",
        "CAP_SYS_BOOT", "CAP_MKNOD", "CAP_SETFCAP",
    ];

    public IEnumerable<Exposure> Find(Profile profile)
    {
        bool all = profile.IsSet("unshare-all");
        if (all ? profile.IsSet("share-net") : !profile.IsSet("unshare-net"))
            yield return new(Network, "sandbox.share-net", Where(profile, all ? "share-net" : "unshare-net"),
                "network shared: the daemon can reach every address the host can, listen on its ports and its loopback services");
        if (!all)
        {
            foreach (var (flag, weight, reason) in Namespaces)
            {
                // The relay makes its own PID namespace whatever the profile says.
                bool relayUnshares = flag == "unshare-pid" && profile.Stop.Relay;
                bool tryUser = flag == "unshare-user" && profile.IsSet("unshare-user-try");
                bool tryCgroup = flag == "unshare-cgroup" && profile.IsSet("unshare-cgroup-try");
                if (!profile.IsSet(flag) && !relayUnshares && !tryUser && !tryCgroup)
                    yield return new(weight, "sandbox." + flag, null, reason);
            }
        }
        if (!profile.IsSet("disable-userns"))
            yield return new(UserNamespaces, "sandbox.disable-userns", Where(profile, "disable-userns"),
                "user namespaces left enabled: the daemon may make its own, the kernel's widest door to a local privilege escalation");

        foreach (var exposure in Capabilities(profile))
            yield return exposure;
        if (!profile.IsSet("clearenv"))
            yield return new(Environment, "sandbox.clearenv", Where(profile, "clearenv"),
                "environment inherited: whatever the caller's variables hold (tokens, LD_PRELOAD) reaches the daemon");
        if (!profile.IsSet("new-session"))
            yield return new(Session, "sandbox.new-session", Where(profile, "new-session"),
                "the caller's terminal is shared: TIOCSTI can type commands into it (CVE-2017-5226)");
        if (!profile.IsSet("die-with-parent") && !profile.Stop.Relay)
            yield return new(Parent, "sandbox.die-with-parent", Where(profile, "die-with-parent"),
                "the sandbox outlives its supervisor: a killed bwrap leaves the daemon running unsupervised");

        foreach (var op in profile.Mounts)
        {
            foreach (var exposure in Mount(op))
                yield return exposure;
        }
    }

    private static IEnumerable<Exposure> Capabilities(Profile profile)
    {
        bool dropsAll = profile.Lists.TryGetValue("cap-drop", out var dropped) && dropped.Exists(c => c.Value == "ALL");
        if (!dropsAll)
            yield return new(CapabilitiesKept, "sandbox.cap-drop", dropped?.FirstOrDefault().Location,
                "capabilities not all dropped: a daemon started as root keeps root's bounding set");
        if (profile.Lists.TryGetValue("cap-add", out var added))
        {
            foreach (var cap in added)
            {
                bool strong = Array.IndexOf(StrongCapabilities, cap.Value) >= 0;
                yield return new(strong ? StrongCapability : Capability, "sandbox.cap-add", cap.Location,
                    strong ? $"{cap.Value} added: as good as root over the sandbox's walls" : $"{cap.Value} added");
            }
        }
    }

    private static IEnumerable<Exposure> Mount(MountOp op)
    {
        string key = "sandbox." + op.Option;
        if (op.Option == "proc")
            yield return new(Proc, key, op.Location, $"/proc at {op.Destination}: the host's kernel version, CPUs, memory and mounts");
        bool bind = SandboxView.IsBind(op);
        bool writable = op.Option is "bind" or "bind-try" or "dev-bind" or "dev-bind-try" or "overlay";
        string[] sources = bind ? [op.Operands[0]] : op.Option == "overlay" ? [op.Operands[0]] : [];
        foreach (var raw in sources)
        {
            string source = SandboxView.Normalize(raw);
            if (Array.IndexOf(EngineSockets, source) >= 0)
                yield return new(EngineSocket, key, op.Location, $"{source}: a container engine's socket, root on the host to whoever can use it");
            else if (Interop.Libc.StatPath(source, followLink: true, out var status) == 0 && (status.Mode & Interop.FileStatus.TypeMask) == 0xC000)
                yield return new(Socket, key, op.Location, $"{source}: a socket to a host service");
            if (op.Option.StartsWith("dev-bind", StringComparison.Ordinal))
                yield return new(DeviceBind, key, op.Location, $"{source}: device nodes work through it: the daemon can open the host's devices");
            else if (writable)
                yield return Under(source, "/var") || Under(source, "/run") || Under(source, "/tmp")
                    ? new(WritableData, key, op.Location, $"{source} writable: the service's own data, under /var or /run")
                    : new(WritableSystem, key, op.Location, $"{source} writable outside /var and /run: the daemon can change what the host runs or reads");
            if (Under(source, "/proc") || Under(source, "/sys"))
                yield return new(KernelInterface, key, op.Location, $"{source}: the host's kernel interfaces");
            if (Under(source, "/home") || Under(source, "/root"))
                yield return new(Home, key, op.Location, $"{source}: a home directory: keys, histories, a user's files");
        }
    }

    private static bool Under(string path, string directory) => SandboxView.Contains(directory, path);

    private static Location? Where(Profile profile, string flag) =>
        profile.Flags.TryGetValue(flag, out var value) ? value.Location : null;
}
