using System.Runtime.InteropServices;
using Sandboxer.Interop;

namespace Sandboxer.Landlock;

/// <summary>What to do with a profile's port rules on this kernel.</summary>
public enum Enforcement
{
    /// <summary>No direction is restricted.</summary>
    Nothing,
    Enforce,
    /// <summary>The kernel cannot, and the profile accepts that (best-effort): start with a warning.</summary>
    StartWithout,
    /// <summary>The kernel cannot, and the profile does not accept that: do not start.</summary>
    Refuse,
}

/// <summary>
/// Holds a daemon to its TCP ports with Landlock. The launcher refuses early, where it can name
/// the key's file and line; the relay, inside the sandbox once bwrap has made every mount,
/// decides again on the same kernel and restricts itself just before it starts the daemon.
/// </summary>
public static class NetworkEnforcement
{
    /// <summary>The first Landlock ABI with TCP port rules (Linux 6.7).</summary>
    public const int NetworkAbi = 4;

    public static Enforcement Decide(NetworkRules? rules, int abi) =>
        rules is not { RestrictsAnything: true } ? Enforcement.Nothing
        : abi >= NetworkAbi ? Enforcement.Enforce
        : rules.BestEffort ? Enforcement.StartWithout
        : Enforcement.Refuse;

    /// <summary>Why the kernel cannot enforce them, for ABI below <see cref="NetworkAbi"/>; <paramref name="errno"/> is the probe's failure, if it failed.</summary>
    public static string Lacking(int abi, int errno = 0) =>
        errno is not (0 or Errno.NoSystemCall or Errno.NotSupported)
            ? $"Landlock cannot be used here: landlock_create_ruleset fails with \"{Marshal.GetPInvokeErrorMessage(errno)}\" (a seccomp filter may deny it); TCP port rules need Landlock ABI 4, Linux 6.7"
        : abi <= 0
            ? "this kernel has no Landlock (Linux 5.13 and later, with landlock in its lsm= list); TCP port rules need Landlock ABI 4, Linux 6.7"
            : $"this kernel's Landlock (ABI {abi}) has no TCP port rules; they need ABI 4, Linux 6.7";

    /// <summary>
    /// The kernel's Landlock ABI, 0 where there is none. Any failure counts as none (ENOSYS: not
    /// built in; EOPNOTSUPP: disabled at boot; anything else, such as a seccomp filter's EPERM,
    /// returned in <paramref name="errno"/> for the message): the rules are then refused unless
    /// the profile accepts starting without them.
    /// </summary>
    public static int KernelAbi(out int errno)
    {
        errno = Libc.LandlockAbi(out int abi);
        return errno == 0 ? abi : 0;
    }

    /// <summary>Before bwrap starts: refuses a start the relay would refuse, naming where the key is.</summary>
    public static void CheckKernel(Profiles.NetworkSettings network)
    {
        // Every start passes here: no probe of the kernel for a profile with nothing to hold.
        if (!network.Rules.RestrictsAnything)
            return;
        int abi = KernelAbi(out int errno);
        if (Decide(network.Rules, abi) == Enforcement.Refuse && network.Restricting is var (key, at))
            throw SandboxerException.Config($"{at}: {key}: {Lacking(abi, errno)}: not starting (set [network] best-effort = true to start without them)");
    }

    /// <summary>
    /// Inside the sandbox, in the relay: from this call on, the calling thread and every process
    /// it starts may bind and connect only to the allowed TCP ports. Landlock binds the calling
    /// thread, not the process: the caller must start the daemon from this same thread.
    /// </summary>
    public static void Restrict(NetworkRules? rules)
    {
        if (rules is not { RestrictsAnything: true })
            return;
        int abi = KernelAbi(out int errno);
        switch (Decide(rules, abi))
        {
            case Enforcement.Refuse:
                throw SandboxerException.Config($"relay: {rules.Keys}: {Lacking(abi, errno)}: not starting the daemon");
            case Enforcement.StartWithout:
                Console.Error.Write($"sandboxer: relay: warning: {rules.Keys}: {Lacking(abi, errno)}: starting the daemon without them (best-effort = true)\n");
                return;
        }
        ulong handled = (rules.Bind is null ? 0 : Libc.LandlockBindTcp) | (rules.Connect is null ? 0 : Libc.LandlockConnectTcp);
        Check(Libc.LandlockCreateNetworkRuleset(handled, out int ruleset), rules.Keys, "cannot create a Landlock ruleset");
        try
        {
            foreach (int port in rules.Bind ?? [])
                Check(Libc.LandlockAllowPort(ruleset, Libc.LandlockBindTcp, port), NetworkRules.BindKey, $"cannot allow port {port}");
            foreach (int port in rules.Connect ?? [])
                Check(Libc.LandlockAllowPort(ruleset, Libc.LandlockConnectTcp, port), NetworkRules.ConnectKey, $"cannot allow port {port}");
            Check(Libc.SetNoNewPrivileges(), rules.Keys, "cannot set no_new_privs, which Landlock needs");
            Check(Libc.LandlockRestrictSelf(ruleset), rules.Keys, "cannot apply the Landlock ruleset");
        }
        finally
        {
            Libc.Close(ruleset);
        }
    }

    /// <summary>A rule that cannot be applied exactly as written stops the start (exit 78), naming its key.</summary>
    private static void Check(int errno, string keys, string what)
    {
        if (errno != 0)
            throw SandboxerException.Config($"relay: {keys}: {what}: {Marshal.GetPInvokeErrorMessage(errno)}: not starting the daemon");
    }
}
