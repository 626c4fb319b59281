using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>Hands the process over to another program, leaving it nothing of ours.</summary>
internal static unsafe class ProcessImage
{
    /// <summary>
    /// execv(2)s <paramref name="argv"/>[0] with the caller's environment. Returns only by
    /// throwing: the exec failed (126, or 127 when the program does not exist).
    /// </summary>
    /// <param name="pass">
    /// Descriptors to pass on, each at the number the command line names it by; every other
    /// descriptor above 2 is closed.
    /// </param>
    /// <param name="path">The program, when not <paramref name="argv"/>[0].</param>
    /// <param name="lastStep">Runs just before the exec, after everything else (limits, a seccomp filter).</param>
    public static void Replace(IReadOnlyList<byte[]> argv, IReadOnlyList<PassedDescriptor>? pass = null, byte[]? path = null, Action? lastStep = null)
    {
        var pointers = ToNative(argv);
        var program = path is null ? pointers[0] : ToNative([path])[0];
        ResetSignals();
        CloseOnExecFrom(3);
        PlaceDescriptors(pass ?? []);
        lastStep?.Invoke();
        int errno = Libc.Exec(program, pointers);
        throw ExecFailed(path ?? argv[0], errno);
    }

    /// <summary>The shell's codes for a failed exec: 127 when there is no such file, else 126.</summary>
    public static SandboxerException ExecFailed(byte[] program, int errno) =>
        new(errno == Errno.NoEntry ? ExitCodes.NotFound : ExitCodes.CannotExecute,
            $"cannot execute {System.Text.Encoding.UTF8.GetString(program)}: {Marshal.GetPInvokeErrorMessage(errno)}");

    /// <summary>The numbers descriptors may be passed on at: kept from the runtime by <see cref="ReserveDescriptors"/>.</summary>
    public const int FirstPassed = 3, LastPassed = 15;

    /// <summary>
    /// Holds every free number from <see cref="FirstPassed"/> to <see cref="LastPassed"/> with a
    /// close-on-exec copy of /dev/null, before anything else runs. The runtime opens descriptors
    /// of its own as it goes (/dev/urandom, kept open): putting a passed descriptor at such a
    /// number would pull it from under the runtime. Numbers open already were the caller's,
    /// which the runtime never uses, and are closed by the exec anyway.
    /// </summary>
    public static void ReserveDescriptors()
    {
        // Nothing here may format a message before a failure: that alone has the runtime open /dev/urandom.
        int placeholder = -1;
        for (int fd = FirstPassed; fd <= LastPassed; fd++)
        {
            int open = Libc.IsCloseOnExec(fd, out bool closeOnExec);
            if (open != Errno.BadDescriptor)
            {
                // What came through the exec cannot be close-on-exec; the runtime opens its own so.
                if (open == 0 && !closeOnExec)
                    inherited |= 1 << fd;
                continue;
            }
            int errno = placeholder < 0 ? Libc.OpenAt(Libc.AtFdCwd, "/dev/null", Libc.OpenReadOnly | Libc.OpenCloseOnExec, 0, out placeholder)
                : Libc.DuplicateTo(placeholder, fd, closeOnExec: true);
            if (errno != 0)
                Check(errno, "cannot reserve descriptor " + fd.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (placeholder > LastPassed)
            Libc.Close(placeholder);
    }

    private static int inherited;

    /// <summary>Whether <paramref name="fd"/> was open when <see cref="ReserveDescriptors"/> ran: the caller's, such as a supervisor's readiness pipe.</summary>
    public static bool WasInherited(int fd) => fd is >= FirstPassed and <= LastPassed && (inherited & (1 << fd)) != 0;

    /// <summary>
    /// Puts each descriptor at its number. Copies are made above every target first, so that
    /// moving one never overwrites another still to be moved; whatever held a target number
    /// was only going to be closed by the exec.
    /// </summary>
    private static void PlaceDescriptors(IReadOnlyList<PassedDescriptor> pass)
    {
        if (pass.Count == 0)
            return;
        if (pass.Any(d => d.Number is < FirstPassed or > LastPassed))
            throw new SandboxerException(ExitCodes.Software, $"descriptors can only be passed on at {FirstPassed} to {LastPassed}");
        int above = LastPassed + 1;
        var copies = new int[pass.Count];
        for (int i = 0; i < pass.Count; i++)
            Check(Libc.DuplicateAbove((int)pass[i].Handle.DangerousGetHandle(), above, out copies[i]), $"cannot pass descriptor {pass[i].Number} on");
        for (int i = 0; i < pass.Count; i++)
            Check(Libc.DuplicateTo(copies[i], pass[i].Number, closeOnExec: false), $"cannot pass descriptor {pass[i].Number} on");
    }

    /// <summary>posix_spawn(3)s <paramref name="path"/> with default signals and an empty mask; returns the error.</summary>
    public static int Spawn(byte[] path, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> environment, out int pid) =>
        Libc.Spawn(ToNative([path])[0], ToNative(argv), ToNative(environment), out pid);

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
