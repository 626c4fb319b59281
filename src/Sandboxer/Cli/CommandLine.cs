namespace Sandboxer.Cli;

public enum Command { Run, Show, Signal, Relay, Help, Version }

/// <summary>What was asked for: a command, the profile, and where the daemon's arguments start.</summary>
/// <param name="FirstDaemonArg">Index into the arguments (argv without argv[0]) of the first one for the daemon.</param>
public sealed record Invocation(Command Command, string? Name, string? ProfileDirectory, int FirstDaemonArg);

/// <summary>
/// Reads argv. Called as bwrap-NAME, every argument belongs to the daemon and none is looked
/// at, so a daemon's own --help or -- pass through untouched.
/// </summary>
public static class CommandLine
{
    public const string LinkPrefix = "bwrap-";

    public static Invocation Parse(string argv0, IReadOnlyList<string> args)
    {
        string invokedAs = Path.GetFileName(argv0);
        if (invokedAs.StartsWith(LinkPrefix, StringComparison.Ordinal))
            return new Invocation(Command.Run, CheckName(invokedAs[LinkPrefix.Length..], invokedAs), null, 0);

        string? directory = null;
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--help" || arg == "-h")
                return new Invocation(Command.Help, null, directory, args.Count);
            if (arg == "--version")
                return new Invocation(Command.Version, null, directory, args.Count);
            if (arg == "--profile-dir" || arg.StartsWith("--profile-dir=", StringComparison.Ordinal))
            {
                if (arg.Length > "--profile-dir".Length)
                    directory = arg["--profile-dir=".Length..];
                else if (++i < args.Count)
                    directory = args[i];
                else
                    throw SandboxerException.Usage("--profile-dir needs a directory");
                if (directory.Length == 0)
                    throw SandboxerException.Usage("--profile-dir needs a directory");
                continue;
            }
            if (arg.StartsWith('-'))
                throw SandboxerException.Usage($"unknown option {arg} (see sandboxer --help)");
            break;
        }
        if (i == args.Count)
            throw SandboxerException.Usage("no command given (see sandboxer --help)");

        var command = args[i] switch
        {
            "run" => Command.Run,
            "show" => Command.Show,
            "signal" => Command.Signal,
            "relay" => Command.Relay,
            _ => throw SandboxerException.Usage($"unknown command \"{args[i]}\" (see sandboxer --help)"),
        };
        if (command == Command.Relay)
            return new Invocation(command, null, directory, i + 1);
        if (++i == args.Count)
            throw SandboxerException.Usage($"{args[i - 1]} needs a profile name");
        string name = CheckName(args[i], args[i]);
        int first = i + 1;
        if (command == Command.Signal)
            return args.Count - first == 1 ? new Invocation(command, name, directory, first)
                : throw SandboxerException.Usage("signal needs a profile name and a signal, such as: sandboxer signal monerod HUP");
        if (first < args.Count && args[first] == "--")
            first++;
        return new Invocation(command, name, directory, first);
    }

    /// <summary>[A-Za-z0-9][A-Za-z0-9._-]*: never a path, never hidden, never an option.</summary>
    public static string CheckName(string name, string given)
    {
        bool valid = name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]);
        foreach (char c in name)
            valid &= char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
        if (!valid)
            throw SandboxerException.Usage($"\"{given}\": not a valid profile name (letters, digits, '.', '_' and '-', starting with a letter or digit)");
        if (name == Profiles.ProfileStore.HubName)
            throw SandboxerException.Usage($"\"{given}\": defaults is the policy every profile shares, not a service");
        return name;
    }

    public const string Help = """
        Usage: bwrap-NAME [ARGS...]
               sandboxer [--profile-dir DIR] run NAME [--] [ARGS...]
               sandboxer [--profile-dir DIR] show NAME [ARGS...]
               sandboxer [--profile-dir DIR] signal NAME SIGNAL
               sandboxer --help | --version

        Runs a service in the bubblewrap sandbox its profile describes: NAME.toml applied
        over defaults.toml, from /etc/sandboxer (or $SANDBOXER_PROFILE_DIR, or --profile-dir).
        The process becomes bwrap itself, so a supervisor tracks bwrap's PID.

          run     compose the sandbox and exec bwrap; ARGS go to the daemon byte for byte
          show    print the exact command run would exec, quoted for sh
          signal  send SIGNAL (HUP, USR1, TERM...) to the running daemon, through its relay
          relay   (internal) the stop relay, run by bwrap as the sandbox's PID 1
          bwrap-NAME  a symlink to sandboxer: the same as "run NAME", every argument for the daemon

        Environment: SANDBOXER_LOG=error|warning|info|debug|trace logs to stderr.
        Exit status: 64 usage, 69 not running, 75 previous instance still stopping, 78 profile,
        126 bwrap cannot run, 127 bwrap not found; otherwise the daemon's.

        """;
}
