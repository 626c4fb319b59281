using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>Hands the process over to another program, leaving it nothing of ours.</summary>
internal static unsafe class ProcessImage
{
    /// <summary>
    /// execv(2)s <paramref name="argv"/>[0] with the caller's environment. Returns only by
    /// throwing: the exec failed (126, or 127 when the program does not exist).
    /// </summary>
    /// <param name="inherit">Descriptors created to be passed on; every other one above 2 is closed.</param>
    public static void Replace(IReadOnlyList<byte[]> argv, IReadOnlyList<int>? inherit = null)
    {
        var pointers = ToNative(argv);
        ResetSignals();
        CloseOnExecFrom(3);
        foreach (int fd in inherit ?? [])
            Check(Libc.SetCloseOnExec(fd, false), $"cannot pass descriptor {fd} on");
        int errno = Libc.Exec(pointers[0], pointers);

        string program = System.Text.Encoding.UTF8.GetString(argv[0]);
        throw new SandboxerException(errno == Errno.NoEntry ? ExitCodes.NotFound : ExitCodes.CannotExecute,
            $"cannot execute {program}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>posix_spawn(3)s a program with default signals and an empty mask; returns the error.</summary>
    public static int Spawn(IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> environment, out int pid) =>
        Libc.Spawn(ToNative(argv), ToNative(environment), out pid);

    /// <summary>
    /// A NULL-terminated array of NUL-terminated strings, in one block that is never freed:
    /// the process either becomes another program or exits soon after.
    /// </summary>
    private static byte** ToNative(IReadOnlyList<byte[]> strings)
    {
        nuint total = 0;
        foreach (var s in strings)
            total += (nuint)s.Length + 1;
        var block = (byte*)NativeMemory.AllocZeroed(total + 1);
        var pointers = (byte**)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(byte*));
        var cursor = block;
        for (int i = 0; i < strings.Count; i++)
        {
            pointers[i] = cursor;
            strings[i].CopyTo(new Span<byte>(cursor, strings[i].Length));
            cursor += strings[i].Length + 1;
        }
        return pointers;
    }

    /// <summary>
    /// An ignored signal stays ignored across exec (the .NET runtime ignores SIGPIPE, a
    /// caller may ignore SIGHUP); handled ones return to default by themselves. The mask
    /// is inherited too, so it is emptied.
    /// </summary>
    public static void ResetSignals()
    {
        for (int signal = 1; signal <= Libc.SignalCount; signal++)
        {
            // SIGKILL, SIGSTOP and libc's reserved signals answer EINVAL: nothing to reset there.
            if (Libc.GetSignalHandler(signal, out nint handler) == 0 && handler == Libc.SigIgnore)
                Check(Libc.SetSignalDefault(signal), "cannot reset the disposition of signal " + signal);
        }
        Check(Libc.UnblockAllSignals(), "cannot unblock signals");
    }

    /// <summary>
    /// bwrap passes every open descriptor into the sandbox, so none but 0-2 may reach it.
    /// Close-on-exec rather than close: the runtime's own descriptors stay valid until the
    /// exec itself.
    /// </summary>
    public static void CloseOnExecFrom(int first)
    {
        int errno = Libc.CloseRangeOnExec(first);
        if (errno == 0)
            return;
        if (errno != Errno.NoSystemCall && errno != Errno.Invalid)
            Check(errno, "cannot mark descriptors close-on-exec");
        // Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: walk the open descriptors instead.
        CloseOnExecByListing(first);
    }

    public static void CloseOnExecByListing(int first)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out int fd) && fd >= first)
            {
                int error = Libc.SetCloseOnExec(fd, true);
                // The directory's own descriptor is gone by the time it is reached.
                if (error != Errno.BadDescriptor)
                    Check(error, $"cannot mark descriptor {fd} close-on-exec");
            }
        }
    }

    public static void Check(int errno, string what)
    {
        if (errno != 0)
            throw new SandboxerException(ExitCodes.Software, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
