using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>
/// Landlock (Linux 5.13; TCP port rules from ABI 4, Linux 6.7). Neither libc wraps it: the
/// three calls go through syscall(2), with the kernel's own structures. A ruleset restricts the
/// thread that calls landlock_restrict_self and whatever it starts afterwards, no other thread.
/// </summary>
internal static unsafe partial class Libc
{
    public const ulong LandlockBindTcp = 1;
    public const ulong LandlockConnectTcp = 2;

    /// <summary>The ruleset's version: 0 or an errno, and the ABI the kernel speaks.</summary>
    public static int LandlockAbi(out int abi)
    {
        long result = Syscall(Numbers.LandlockCreateRuleset, 0, 0, LandlockCreateRulesetVersion, 0, 0);
        abi = result > 0 ? (int)result : 0;
        return result >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>A ruleset that handles the given TCP accesses and nothing of the filesystem; close-on-exec by the kernel.</summary>
    public static int LandlockCreateNetworkRuleset(ulong handledNetwork, out int fd)
    {
        var attributes = new LandlockRulesetAttributes { HandledAccessNetwork = handledNetwork };
        long result = Syscall(Numbers.LandlockCreateRuleset, (long)&attributes, sizeof(LandlockRulesetAttributes), 0, 0, 0);
        fd = (int)result;
        return result >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Allows <paramref name="access"/> on one TCP port.</summary>
    public static int LandlockAllowPort(int ruleset, ulong access, int port)
    {
        var rule = new LandlockNetPortAttributes { AllowedAccess = access, Port = (ulong)port };
        return Syscall(Numbers.LandlockAddRule, ruleset, LandlockRuleNetPort, (long)&rule, 0, 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Puts the calling thread, and every process it starts from now on, under the ruleset.</summary>
    public static int LandlockRestrictSelf(int ruleset) =>
        Syscall(Numbers.LandlockRestrictSelf, ruleset, 0, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// PR_SET_NO_NEW_PRIVS: no exec of the calling thread or its children gains privileges
    /// (setuid, file capabilities). Landlock requires it of a caller without CAP_SYS_ADMIN.
    /// </summary>
    public static int SetNoNewPrivileges() => Prctl(PrSetNoNewPrivs, 1, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private const long LandlockCreateRulesetVersion = 1;
    private const long LandlockRuleNetPort = 2;
    private const int PrSetNoNewPrivs = 38;

    /// <summary>struct landlock_ruleset_attr up to handled_access_net (ABI 4); the kernel takes a shorter struct than its own.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct LandlockRulesetAttributes
    {
        [FieldOffset(0)] public ulong HandledAccessFilesystem;
        [FieldOffset(8)] public ulong HandledAccessNetwork;
    }

    /// <summary>struct landlock_net_port_attr: two __u64, not packed.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct LandlockNetPortAttributes
    {
        [FieldOffset(0)] public ulong AllowedAccess;
        [FieldOffset(8)] public ulong Port;
    }
}
