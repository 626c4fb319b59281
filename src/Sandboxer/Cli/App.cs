using System.Text;
using Microsoft.Extensions.Logging;
using Sandboxer.Composition;
using Sandboxer.Interop;
using Sandboxer.Profiles;
using Sandboxer.Relay;

namespace Sandboxer.Cli;

public static class App
{
    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (SandboxerException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not bad input; still a message and never a stack trace.
            return Fail(ExitCodes.Software, $"internal error: {e.GetType().Name}: {e.Message}");
        }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.Write($"sandboxer: {message}\n");
        return code;
    }

    private static int Run(string[] args)
    {
        var invocation = CommandLine.Parse(Environment.GetCommandLineArgs()[0], args);
        switch (invocation.Command)
        {
            case Command.Help:
                Console.Out.Write(CommandLine.Help);
                return 0;
            case Command.Version:
                Console.Out.Write($"sandboxer {BuildInfo.Version}\n");
                return 0;
            case Command.Relay:
                return RelayProcess.Run(args[invocation.FirstDaemonArg..]);
        }

        var logger = StderrLoggerProvider.Create(Environment.GetEnvironmentVariable(StderrLoggerProvider.Variable));
        string? directory = invocation.ProfileDirectory;
        if (directory is null)
        {
            directory = Environment.GetEnvironmentVariable("SANDBOXER_PROFILE_DIR");
            if (string.IsNullOrEmpty(directory))
                directory = ProfileStore.DefaultDirectory;
        }
        directory = Path.GetFullPath(directory);
        var profile = ProfileStore.Load(directory, invocation.Name!);
        Log.ProfileLoaded(logger, profile.Name, directory);

        if (invocation.Command == Command.Signal)
        {
            RelaySignal.Send(profile, args[invocation.FirstDaemonArg]);
            return 0;
        }

        var relay = !profile.Stop.Relay ? null
            : invocation.Command == Command.Show ? RelayLauncher.Describe(profile) : RelayLauncher.Prepare(profile);
        var argv = Composer.Compose(profile, RawArguments.From(args, invocation.FirstDaemonArg), relay);
        if (invocation.Command == Command.Show)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(ShellQuote.Line(argv));
            return 0;
        }
        if (logger.IsEnabled(LogLevel.Debug))
            Log.Exec(logger, Encoding.UTF8.GetString(ShellQuote.Line(argv)).TrimEnd('\n'));
        ProcessImage.Replace(argv, relay?.Descriptors);
        return ExitCodes.Software; // not reached: Replace execs or throws
    }
}
