using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>What confines the daemon just before its exec: resource limits and a seccomp filter (no_new_privs: Libc.Landlock.cs).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimitNative(int resource, ResourceLimit* limit);

    [LibraryImport(LibraryName, EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimitNative(int resource, ResourceLimit* limit);

    /// <summary>struct rlimit: the same two unsigned longs under glibc and musl on 64-bit.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct ResourceLimit
    {
        [FieldOffset(0)] public ulong Soft;
        [FieldOffset(8)] public ulong Hard;
    }

    /// <summary>struct sock_fprog: the instruction count, then (aligned) a pointer to the instructions.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct FilterProgram
    {
        [FieldOffset(0)] public ushort Length;
        [FieldOffset(8)] public byte* Filter;
    }

    /// <summary>Sets both the soft and the hard limit of a resource (RLIM_INFINITY is ulong.MaxValue).</summary>
    public static int SetResourceLimit(int resource, ulong value)
    {
        var limit = new ResourceLimit { Soft = value, Hard = value };
        return SetRlimitNative(resource, &limit) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int GetResourceLimit(int resource, out ulong soft, out ulong hard)
    {
        var limit = default(ResourceLimit);
        int result = GetRlimitNative(resource, &limit);
        (soft, hard) = (limit.Soft, limit.Hard);
        return result == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Installs a seccomp filter (classic BPF, 8 bytes an instruction) on the calling thread, inherited across exec.</summary>
    public static int InstallSeccompFilter(ReadOnlySpan<byte> program)
    {
        fixed (byte* p = program)
        {
            var fprog = new FilterProgram { Length = (ushort)(program.Length / 8), Filter = p };
            return Prctl(PrSetSeccomp, SeccompModeFilter, (long)&fprog, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>
    /// Whether filters can be installed here: with no program the kernel answers EFAULT when it
    /// could, and EINVAL when it has no seccomp filter support (or an emulator refuses it).
    /// </summary>
    public static bool SeccompFiltersAvailable() =>
        Prctl(PrSetSeccomp, SeccompModeFilter, 0, 0, 0) != 0 && Marshal.GetLastPInvokeError() == Errno.Fault;

    private const int PrSetSeccomp = 22;
    private const int SeccompModeFilter = 2;
}
