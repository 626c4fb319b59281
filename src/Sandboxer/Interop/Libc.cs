using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: DisableRuntimeMarshalling]

namespace Sandboxer.Interop;

/// <summary>
/// Every call into libc. Each wrapper returns 0 or an errno read at once after the call;
/// callers turn errno into a message. Only functions that both glibc and musl 1.2 export
/// are imported (a test checks this against musl's libc.so); anything newer goes through
/// syscall(2) with the kernel's own structures, which are the same under both libcs.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    public const int SigDefault = 0;
    public const int SigIgnore = 1;
    /// <summary>The kernel's _NSIG: signals are numbered 1 to 64.</summary>
    public const int SignalCount = 64;

    public const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int CloseRangeCloExec = 4;
    private const int SigSetMask = 2;
    private const int FdSetFd = 2;
    private const int FdCloExec = 1;
    private const int FdGetFd = 1;

    [LibraryImport(LibraryName, EntryPoint = "execv", SetLastError = true)]
    private static partial int ExecV(byte* path, byte** argv);

    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport(LibraryName, EntryPoint = "realpath", SetLastError = true)]
    private static partial byte* RealPathNative(byte* path, byte* resolved);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, long argument);

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport(LibraryName, EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockNative(int fd, int operation);

    [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport(LibraryName, EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPidNative(int pid, int* status, int options);

    [LibraryImport(LibraryName, EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, long arg2, long arg3, long arg4, long arg5);

    // posix_spawn returns its error instead of setting errno.
    [LibraryImport(LibraryName, EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(LibraryName, EntryPoint = "posix_spawnattr_init")]
    private static partial int SpawnAttrInit(void* attributes);

    [LibraryImport(LibraryName, EntryPoint = "posix_spawnattr_setflags")]
    private static partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(LibraryName, EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int SpawnAttrSetSigMask(void* attributes, void* mask);

    [LibraryImport(LibraryName, EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int SpawnAttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport(LibraryName, EntryPoint = "sigemptyset")]
    private static partial int SigEmptySet(void* set);


    /// <summary>Replaces the process image; returns only on failure, with errno.</summary>
    public static int Exec(byte* path, byte** argv)
    {
        ExecV(path, argv);
        return Marshal.GetLastPInvokeError();
    }

    /// <summary>The current handler of a signal (SigDefault, SigIgnore or a function).</summary>
    public static int GetSignalHandler(int signal, out nint handler)
    {
        // The kernel's struct sigaction is at most 32 bytes on x64 and arm64 and starts
        // with the handler; only that field is read.
        var old = stackalloc long[4];
        handler = 0;
        if (Syscall(Numbers.RtSigaction, signal, 0, (long)old, 8, 0) != 0)
            return Marshal.GetLastPInvokeError();
        handler = (nint)old[0];
        return 0;
    }

    /// <summary>Sets a signal to SIG_DFL with no flags and an empty mask.</summary>
    public static int SetSignalDefault(int signal)
    {
        // All zero is SIG_DFL whatever the field order of the architecture's struct.
        var action = stackalloc long[4] { 0, 0, 0, 0 };
        return Syscall(Numbers.RtSigaction, signal, (long)action, 0, 8, 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Empties the calling thread's signal mask.</summary>
    public static int UnblockAllSignals()
    {
        long empty = 0;
        return Syscall(Numbers.RtSigprocmask, SigSetMask, (long)&empty, 0, 8, 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Marks every descriptor from <paramref name="first"/> up close-on-exec (Linux 5.11).</summary>
    public static int CloseRangeOnExec(int first)
    {
        return Syscall(Numbers.CloseRange, first, uint.MaxValue, CloseRangeCloExec, 0, 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();
    }

    public static int SetCloseOnExec(int fd, bool closeOnExec)
    {
        int flags = Fcntl(fd, FdGetFd, 0);
        if (flags < 0)
            return Marshal.GetLastPInvokeError();
        flags = closeOnExec ? flags | FdCloExec : flags & ~FdCloExec;
        return Fcntl(fd, FdSetFd, flags) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    public static int IsCloseOnExec(int fd, out bool closeOnExec)
    {
        int flags = Fcntl(fd, FdGetFd, 0);
        closeOnExec = flags >= 0 && (flags & FdCloExec) != 0;
        return flags < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Status of a path; a final symlink is not followed unless asked (lstat or stat).</summary>
    public static int StatPath(string path, bool followLink, out FileStatus status)
    {
        status = default;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
        fixed (FileStatus* s = &status)
        {
            return Syscall(Numbers.Statx, AtFdCwd, (long)p, followLink ? 0 : AtSymlinkNoFollow, StatxBasicStats, (long)s) == 0
                ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Status of an open descriptor.</summary>
    public static int StatDescriptor(int fd, out FileStatus status)
    {
        status = default;
        byte empty = 0;
        fixed (FileStatus* s = &status)
        {
            return Syscall(Numbers.Statx, fd, (long)&empty, AtEmptyPath, StatxBasicStats, (long)s) == 0
                ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>realpath(3): the path with every link, "." and ".." resolved.</summary>
    public static int RealPath(string path, out string resolved)
    {
        var buffer = stackalloc byte[4096];
        resolved = "";
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
        {
            if (RealPathNative(p, buffer) == null)
                return Marshal.GetLastPInvokeError();
        }
        resolved = System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer));
        return 0;
    }

    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;

    public static int Flock(int fd, int operation) =>
        FlockNative(fd, operation) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Kill(int pid, int signal) => KillNative(pid, signal) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>waitpid(2); <paramref name="pid"/> is 0 with WNOHANG when no child has changed state.</summary>
    public static int WaitPid(int which, int options, out int pid, out int status)
    {
        int s = 0;
        pid = WaitPidNative(which, &s, options);
        status = s;
        return pid >= 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public const int WaitNoHang = 1;

    /// <summary>Sets or clears (0) the signal this process gets when its parent dies.</summary>
    public static int SetParentDeathSignal(int signal) =>
        Prctl(PrSetPdeathsig, signal, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Starts a program with every signal at its default and none blocked, whatever this
    /// process has; returns the error (posix_spawn does not use errno).
    /// </summary>
    public static int Spawn(byte* path, byte** argv, byte** envp, out int pid)
    {
        // posix_spawnattr_t and sigset_t are opaque and smaller than this in glibc and musl.
        var attributes = stackalloc byte[1024];
        var none = stackalloc byte[256];
        // Every bit by hand: sigfillset leaves out libc's own signals (32, 33), which the
        // child would then get ignored rather than default.
        var all = stackalloc byte[256];
        new Span<byte>(all, 256).Fill(0xFF);
        int child = 0;
        SigEmptySet(none);
        int error = SpawnAttrInit(attributes);
        if (error == 0)
            error = SpawnAttrSetFlags(attributes, SpawnSetSigDefault | SpawnSetSigMask);
        if (error == 0)
            error = SpawnAttrSetSigDefault(attributes, all);
        if (error == 0)
            error = SpawnAttrSetSigMask(attributes, none);
        if (error == 0)
            error = PosixSpawn(&child, path, null, attributes, argv, envp);
        pid = child;
        return error;
    }

    private const int PrSetPdeathsig = 1;
    private const short SpawnSetSigDefault = 0x04;
    private const short SpawnSetSigMask = 0x08;

    /// <summary>Syscall numbers: x86-64 has its own table, arm64 the generic one.</summary>
    private static class Numbers
    {
        private static readonly bool IsX64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        public static readonly long RtSigaction = IsX64 ? 13 : 134;
        public static readonly long RtSigprocmask = IsX64 ? 14 : 135;
        public static readonly long Statx = IsX64 ? 332 : 291;
        // From 424 on, every architecture shares one table.
        public const long PidfdSendSignal = 424;
        public const long PidfdOpen = 434;
        public const long CloseRange = 436;
        public const long LandlockCreateRuleset = 444;
        public const long LandlockAddRule = 445;
        public const long LandlockRestrictSelf = 446;
    }
}
