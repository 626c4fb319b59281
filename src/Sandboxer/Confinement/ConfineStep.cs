using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;

namespace Sandboxer.Confinement;

/// <summary>
/// `sandboxer confine --confine-fd N --args-fd M`: the step between the relay and the daemon.
/// The relay spawns it instead of the daemon; it reads the limits and the filter, and the
/// daemon's path and argv, from the two sealed files, closes them, sets the limits, no_new_privs
/// and the filter last of all, and execs the daemon. So the filter is the daemon's exactly as
/// written, and the relay itself runs under none of it.
/// </summary>
public static class ConfineStep
{
    public const string Command = "confine";

    /// <summary>What the relay runs instead of the daemon (whose path and argv travel in a sealed file): returns the spawn's error.</summary>
    /// <param name="readyFd">The supervisor's readiness descriptor, which the step passes on to the daemon at its number.</param>
    public static int Spawn(int confineFd, byte[] path, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> environment, int? readyFd, out int pid)
    {
        var (start, _) = Read(confineFd);
        using var arguments = SealedFile.Create("sandboxer-confine-args", SealedFile.NulTerminated(argv.Prepend(path)));
        int argsFd = (int)arguments.DangerousGetHandle();
        // Both files reach the step, and only the step: it closes them before the daemon's exec.
        ProcessImage.Check(Libc.SetCloseOnExec(argsFd, false), "relay: cannot pass the daemon's arguments on");
        ProcessImage.Check(Libc.SetCloseOnExec(confineFd, false), "relay: cannot pass the confinement on");
        var words = new List<byte[]>();
        IEnumerable<string> options = [Command, "--confine-fd", Number(confineFd), "--args-fd", Number(argsFd)];
        if (readyFd is int ready)
            options = options.Concat(["--ready-fd", Number(ready)]);
        foreach (var word in start.Concat(options))
            words.Add(System.Text.Encoding.UTF8.GetBytes(word));
        return ProcessImage.Spawn(words[0], words, environment, out pid);
    }

    /// <summary>The step itself: never returns but by throwing.</summary>
    public static int Run(IReadOnlyList<string> args, int first)
    {
        int confineFd = -1, argsFd = -1;
        int? readyFd = null;
        for (int i = first; i < args.Count; i++)
        {
            int? value = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
            switch (args[i])
            {
                case "--confine-fd" when value is int fd:
                    confineFd = fd;
                    break;
                case "--args-fd" when value is int fd:
                    argsFd = fd;
                    break;
                case "--ready-fd" when value is int fd:
                    readyFd = fd;
                    break;
                default:
                    throw SandboxerException.Usage($"{Command}: unknown option {args[i]} (the relay runs it inside the sandbox)");
            }
            i++;
        }
        if (confineFd < 0 || argsFd < 0)
            throw SandboxerException.Usage($"{Command}: needs --confine-fd and --args-fd (the relay runs it inside the sandbox)");
        var (_, confinement) = Read(confineFd);
        List<byte[]> daemon;
        using (var file = new SafeFileHandle(argsFd, ownsHandle: true))
            daemon = Cli.RawArguments.Split(Trust.TrustedPath.ReadAll(file, $"{Command}: the daemon's arguments"));
        Libc.Close(confineFd);
        if (daemon.Count < 2)
            throw SandboxerException.Usage($"{Command}: no daemon to start");
        // Every other descriptor is closed by the exec; the readiness one stays at its number.
        PassedDescriptor[] pass = readyFd is int passed ? [new(new SafeFileHandle(passed, ownsHandle: false), passed)] : [];
        ProcessImage.Replace(daemon.GetRange(1, daemon.Count - 1), pass, path: daemon[0], lastStep: confinement.Apply);
        return ExitCodes.Software; // not reached
    }

    private static (List<string> Start, Confinement Confinement) Read(int fd)
    {
        // Read through a copy: the relay keeps its descriptor for the step.
        ProcessImage.Check(Libc.DuplicateAbove(fd, 3, out int copy), $"{Command}: cannot read the confinement");
        using var file = new SafeFileHandle(copy, ownsHandle: true);
        return Confinement.Decode(Trust.TrustedPath.ReadAll(file, $"{Command}: the confinement"));
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
