using Microsoft.Extensions.Logging;
using Sandboxer.Composition;
using Sandboxer.Interop;
using Sandboxer.Profiles;
using Sandboxer.Relay;

namespace Sandboxer.Cli.Commands;

/// <summary>What run and show take: the profile, and where the daemon's arguments begin.</summary>
public sealed record LaunchOptions(string Name, int FirstDaemonArg);

/// <summary>`run NAME [--] [ARGS...]`, and every bwrap-NAME link: compose the sandbox and become bwrap.</summary>
public sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Usage => "NAME [--] [ARGS...]";
    public string Summary => "compose the sandbox and exec bwrap; ARGS go to the daemon byte for byte";

    /// <summary>The profile, then the daemon's arguments (one "--" before them is dropped); a link gives all to the daemon.</summary>
    public static LaunchOptions Parse(CommandContext context, string command = "run")
    {
        if (context.LinkName is string link)
            return new LaunchOptions(link, 0);
        string name = CommandLine.Name(context.Args, context.First, command);
        int first = context.First + 1;
        if (first < context.Args.Count && context.Args[first] == "--")
            first++;
        return new LaunchOptions(name, first);
    }

    public int Run(CommandContext context)
    {
        // First of all, before the runtime opens anything of its own at the numbers bwrap gets.
        ProcessImage.ReserveDescriptors();
        var options = Parse(context);
        var logger = context.CreateLogger();
        var (profile, daemon) = Load(context, options, logger);
        // Checked before waiting for the lock: a supervisor that passed nothing is told at once.
        var ready = Readiness.ReadyLauncher.Inherited(profile);
        var libraries = Elf.LibraryPlan.Mounts(profile, logger);
        var confinement = Confinement.Confinement.From(profile, forRun: true);
        var relay = profile.Stop.Relay ? RelayLauncher.Prepare(profile, daemon, confinement) : null;
        // Without the relay, bwrap installs the filter and the limits are set on bwrap itself.
        int? seccompFd = RelayLauncher.FilterDescriptor(profile, relay, confinement);
        var argv = Composer.Compose(profile, daemon, relay, seccompFd, libraries);
        if (logger.IsEnabled(LogLevel.Debug))
            Log.Exec(logger, System.Text.Encoding.UTF8.GetString(ShellQuote.Line(argv)).TrimEnd('\n'));
        List<PassedDescriptor> passed = [.. relay?.Descriptors ?? []];
        if (seccompFd is int filterFd)
            passed.Add(new PassedDescriptor(confinement.FilterFile(), filterFd));
        if (ready is not null)
            passed.Add(ready);
        ProcessImage.Replace(argv, passed, lastStep: relay is null ? confinement.ApplyLimits : null);
        return ExitCodes.Software; // not reached: Replace execs or throws
    }

    /// <summary>The profile and the daemon's command line, as run and show both start.</summary>
    public static (Profile Profile, List<byte[]> Daemon) Load(CommandContext context, LaunchOptions options, ILogger logger)
    {
        string directory = context.ProfileDirectory;
        var profile = ProfileStore.Load(directory, options.Name);
        Log.ProfileLoaded(logger, profile.Name, directory);
        return (profile, Composer.Daemon(profile, RawArguments.From(context.Args, options.FirstDaemonArg)));
    }
}
