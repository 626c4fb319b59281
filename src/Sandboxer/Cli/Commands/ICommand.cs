namespace Sandboxer.Cli.Commands;

/// <summary>
/// One verb of the command line. Each parses its own arguments into a record of its own
/// (a static Parse, tested without a process) and runs, returning the exit status.
/// </summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>What follows the verb in the usage line: "NAME [--] [ARGS...]".</summary>
    string Usage { get; }

    string Summary { get; }

    /// <summary>Internal verbs are left out of --help.</summary>
    bool Hidden => false;

    int Run(CommandContext context);
}

/// <summary>What every command gets: the arguments, where its own begin, and the global options.</summary>
/// <param name="Args">argv without argv[0], as .NET decoded it.</param>
/// <param name="First">Index into <paramref name="Args"/> of the command's first argument.</param>
/// <param name="LinkName">The profile named by a bwrap-NAME link: every argument then belongs to the daemon.</param>
/// <param name="ProfileDirectoryOption">--profile-dir, if given.</param>
public sealed record CommandContext(IReadOnlyList<string> Args, int First, string? LinkName = null, string? ProfileDirectoryOption = null)
{
    /// <summary>--profile-dir, else $SANDBOXER_PROFILE_DIR, else /etc/sandboxer; made absolute.</summary>
    public string ProfileDirectory
    {
        get
        {
            string? directory = ProfileDirectoryOption;
            if (directory is null)
            {
                directory = Environment.GetEnvironmentVariable("SANDBOXER_PROFILE_DIR");
                if (string.IsNullOrEmpty(directory))
                    directory = Profiles.ProfileStore.DefaultDirectory;
            }
            return Path.GetFullPath(directory);
        }
    }

    /// <summary>The arguments that belong to the command.</summary>
    public IReadOnlyList<string> Own => Args.Count > First ? Args.Skip(First).ToArray() : [];

    public Microsoft.Extensions.Logging.ILogger CreateLogger() =>
        StderrLoggerProvider.Create(Environment.GetEnvironmentVariable(StderrLoggerProvider.Variable));
}
