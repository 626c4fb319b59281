using Sandboxer.Cli.Commands;

namespace Sandboxer.Cli;

/// <summary>What was asked for: a command and the context it runs in; no command for --help and --version.</summary>
public sealed record Invocation(ICommand? Command, CommandContext Context, bool Help = false);

/// <summary>
/// Reads argv up to the command: the global options, then the verb, found in one table that
/// also writes --help. Called as bwrap-NAME, every argument belongs to the daemon and none is
/// looked at, so a daemon's own --help or -- pass through untouched.
/// </summary>
public static class CommandLine
{
    public const string LinkPrefix = "bwrap-";

    public static readonly ICommand Run = new RunCommand();

    /// <summary>Every command, in the order --help lists them.</summary>
    public static readonly ICommand[] Commands =
    [
        Run, new ShowCommand(), new SignalCommand(), new CheckCommand(), new AuditCommand(), new TraceCommand(),
        new ImportCommand(), new InstallCommand(), new RelayCommand(), new ConfineCommand(),
    ];

    public static Invocation Parse(string argv0, IReadOnlyList<string> args)
    {
        string invokedAs = Path.GetFileName(argv0);
        if (invokedAs.StartsWith(LinkPrefix, StringComparison.Ordinal))
            return new Invocation(Run, new CommandContext(args, 0, CheckName(invokedAs[LinkPrefix.Length..], invokedAs)));

        string? directory = null;
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--help" || arg == "-h")
                return new Invocation(null, new CommandContext(args, args.Count), Help: true);
            if (arg == "--version")
                return new Invocation(null, new CommandContext(args, args.Count));
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

        var command = Array.Find(Commands, c => c.Name == args[i])
            ?? throw SandboxerException.Usage($"unknown command \"{args[i]}\"" +
                Hints.DidYouMean(args[i], Commands.Where(c => !c.Hidden).Select(c => c.Name)) + " (see sandboxer --help)");
        return new Invocation(command, new CommandContext(args, i + 1, null, directory));
    }

    /// <summary>
    /// The profile name at <paramref name="index"/>: [A-Za-z0-9][A-Za-z0-9._-]*, never a path,
    /// never hidden, never an option.
    /// </summary>
    public static string Name(IReadOnlyList<string> args, int index, string command) =>
        index < args.Count ? CheckName(args[index], args[index]) : throw SandboxerException.Usage($"{command} needs a profile name");

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

    /// <summary>--help, written from the command table.</summary>
    public static string Help
    {
        get
        {
            var text = new System.Text.StringBuilder();
            text.Append("Usage: bwrap-NAME [ARGS...]\n");
            foreach (var command in Commands.Where(c => !c.Hidden))
                text.Append($"       sandboxer [--profile-dir DIR] {command.Name} {command.Usage}\n");
            text.Append("       sandboxer --help | --version\n\n");
            text.Append(Overview);
            int width = Commands.Max(c => c.Name.Length) + 2;
            foreach (var command in Commands.Where(c => !c.Hidden))
                text.Append("  ").Append(command.Name.PadRight(width)).Append(command.Summary).Append('\n');
            text.Append($"  {LinkPrefix}NAME  a symlink to sandboxer: the same as \"run NAME\", every argument for the daemon\n\n");
            text.Append(Footer);
            return text.ToString();
        }
    }

    private const string Overview = """
        Runs a service in the bubblewrap sandbox its profile describes: NAME.toml applied
        over defaults.toml, from /etc/sandboxer (or $SANDBOXER_PROFILE_DIR, or --profile-dir).
        The process becomes bwrap itself, so a supervisor tracks bwrap's PID.


        """;

    private const string Footer = """
        Environment: SANDBOXER_LOG=error|warning|info|debug|trace logs to stderr.
        Exit status: 64 usage, 65 a script import cannot translate, 69 not running, 73 a file
        already there (import, install write nothing), 75 previous instance still stopping,
        77 permission denied, 78 profile, 70 internal error, 126 bwrap cannot run, 127 bwrap
        not found; otherwise the daemon's. See sandboxer(1) and sandboxer.toml(5).

        """;
}
