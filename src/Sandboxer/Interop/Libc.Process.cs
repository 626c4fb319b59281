using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>Process identity and the calls that guard the relay and reach it from outside.</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "getpid")]
    public static partial int GetProcessId();

    [LibraryImport(LibraryName, EntryPoint = "memfd_create", SetLastError = true)]
    private static partial int MemfdCreateNative(byte* name, uint flags);

    /// <summary>
    /// PR_SET_DUMPABLE 0: no process of the same user may ptrace this one, read or write its
    /// memory (process_vm_writev, /proc/PID/mem) or its descriptors, without CAP_SYS_PTRACE.
    /// </summary>
    public static int MakeUndumpable() => Prctl(PrSetDumpable, 0, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>An anonymous file that can be sealed, closed on exec until passed on on purpose.</summary>
    public static int MemfdCreate(string name, out int fd)
    {
        fixed (byte* p = NullTerminated(name))
            fd = MemfdCreateNative(p, MemfdCloseOnExec | MemfdAllowSealing);
        return fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>No more writes, no resizing, no more seals: what the receiver reads is what was written.</summary>
    public static int SealAll(int fd) =>
        Fcntl(fd, FdAddSeals, SealSeal | SealShrink | SealGrow | SealWrite) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>pidfd_open(2) (Linux 5.3; musl has no wrapper): a handle on this very process, which a recycled PID never matches.</summary>
    public static int PidfdOpen(int pid, out int fd)
    {
        fd = (int)Syscall(Numbers.PidfdOpen, pid, 0, 0, 0, 0);
        return fd >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>pidfd_send_signal(2): fails with ESRCH if that process has exited, whoever has its PID now.</summary>
    public static int PidfdSendSignal(int pidfd, int signal) =>
        Syscall(Numbers.PidfdSendSignal, pidfd, signal, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private const int PrSetDumpable = 4;
    private const uint MemfdCloseOnExec = 1;
    private const uint MemfdAllowSealing = 2;
    private const int FdAddSeals = 1033;
    private const int SealSeal = 1;
    private const int SealShrink = 2;
    private const int SealGrow = 4;
    private const int SealWrite = 8;
}
