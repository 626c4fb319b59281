using System.Globalization;

namespace Sandboxer.Relay;

/// <summary>
/// The relay's own command line, `relay --signal N --timeout N --lock-fd N [--args-fd N]
/// [--argv0 TEXT] [--bind-ports P,P|none] [--connect-ports P,P|none] [--network-best-effort]
/// -- [DAEMON ARGS...]`: written by the composer, read by the relay, one list
/// of names for both.
/// </summary>
/// <param name="Signal">What a stop sends the daemon.</param>
/// <param name="Timeout">Seconds from the stop signal to SIGKILL.</param>
/// <param name="LockFd">The service's lock, held until the last process of the sandbox is gone.</param>
/// <param name="ArgumentsFd">A sealed file of NUL-terminated daemon arguments, when they cannot travel in argv.</param>
/// <param name="Argv0">The daemon's argv[0], when not its path.</param>
/// <param name="Network">The TCP ports the daemon is held to ([network]), when any direction is restricted.</param>
public sealed record RelayOptions(int Signal, int Timeout, int LockFd, int? ArgumentsFd = null, string? Argv0 = null, Landlock.NetworkRules? Network = null)
{
    public const string Command = "relay";

    public List<string> ToArguments()
    {
        var args = new List<string> { Command, "--signal", Number(Signal), "--timeout", Number(Timeout), "--lock-fd", Number(LockFd) };
        if (ArgumentsFd is int fd)
            args.AddRange(["--args-fd", Number(fd)]);
        if (Argv0 is not null)
            args.AddRange(["--argv0", Argv0]);
        if (Network is { RestrictsAnything: true } network)
        {
            if (network.Bind is { } bind)
                args.AddRange(["--bind-ports", Landlock.NetworkRules.Format(bind)]);
            if (network.Connect is { } connect)
                args.AddRange(["--connect-ports", Landlock.NetworkRules.Format(connect)]);
            if (network.BestEffort)
                args.Add("--network-best-effort");
        }
        args.Add("--");
        return args;
    }

    /// <summary>The options, and the index of the first daemon argument (after "--").</summary>
    public static (RelayOptions Options, int FirstDaemonArg) Parse(IReadOnlyList<string> args, int first)
    {
        int signal = 0, timeout = 0, lockFd = -1;
        int? argumentsFd = null;
        string? argv0 = null;
        IReadOnlyList<int>? bindPorts = null, connectPorts = null;
        bool bestEffort = false;
        int i = first;
        for (; i < args.Count && args[i] != "--"; i++)
        {
            switch (args[i])
            {
                case "--signal":
                    signal = ReadNumber(args, ++i);
                    break;
                case "--timeout":
                    timeout = ReadNumber(args, ++i);
                    break;
                case "--lock-fd":
                    lockFd = ReadNumber(args, ++i);
                    break;
                case "--args-fd":
                    argumentsFd = ReadNumber(args, ++i);
                    break;
                case "--argv0":
                    argv0 = ++i < args.Count ? args[i] : throw Incomplete();
                    break;
                case "--bind-ports":
                    bindPorts = ReadPorts(args, ++i);
                    break;
                case "--connect-ports":
                    connectPorts = ReadPorts(args, ++i);
                    break;
                case "--network-best-effort":
                    bestEffort = true;
                    break;
                default:
                    throw SandboxerException.Usage($"relay: unknown option {args[i]} (the relay is started by sandboxer run, inside the sandbox)");
            }
        }
        if (i >= args.Count || signal is <= 0 or > 64 || lockFd < 0)
            throw Incomplete();
        var network = bindPorts is not null || connectPorts is not null ? new Landlock.NetworkRules(bindPorts, connectPorts, bestEffort) : null;
        return (new RelayOptions(signal, timeout, lockFd, argumentsFd, argv0, network), i + 1);
    }

    private static SandboxerException Incomplete() =>
        SandboxerException.Usage("relay: incomplete options (the relay is started by sandboxer run, inside the sandbox)");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int ReadNumber(IReadOnlyList<string> args, int i) =>
        i < args.Count && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw SandboxerException.Usage("relay: an option needs a number");

    private static IReadOnlyList<int> ReadPorts(IReadOnlyList<string> args, int i) =>
        (i < args.Count ? Landlock.NetworkRules.Parse(args[i]) : null)
            ?? throw SandboxerException.Usage($"relay: a port option needs TCP ports separated by commas, or {Landlock.NetworkRules.NoPort}");
}
