using Sandboxer.Profiles;
using Sandboxer.Relay;

namespace Sandboxer.Cli.Commands;

public sealed record SignalOptions(string Name, string Signal);

/// <summary>`signal NAME SIGNAL`: a signal for the running daemon, through its relay.</summary>
public sealed class SignalCommand : ICommand
{
    public string Name => "signal";
    public string Usage => "NAME SIGNAL";
    public string Summary => "send SIGNAL (HUP, USR1, TERM...) to the running daemon, through its relay";

    public static SignalOptions Parse(CommandContext context)
    {
        string name = CommandLine.Name(context.Args, context.First, "signal");
        return context.Args.Count - context.First == 2 ? new SignalOptions(name, context.Args[context.First + 1])
            : throw SandboxerException.Usage("signal needs a profile name and a signal, such as: sandboxer signal monerod HUP");
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        var logger = context.CreateLogger();
        var profile = ProfileStore.Load(context.ProfileDirectory, options.Name);
        Log.ProfileLoaded(logger, profile.Name, context.ProfileDirectory);
        RelaySignal.Send(profile, options.Signal);
        return 0;
    }
}
