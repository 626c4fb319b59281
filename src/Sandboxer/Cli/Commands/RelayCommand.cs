using Sandboxer.Relay;

namespace Sandboxer.Cli.Commands;

/// <summary>`relay OPTIONS -- DAEMON ARGS`: the stop relay, which bwrap runs as the sandbox's PID 1.</summary>
public sealed class RelayCommand : ICommand
{
    public string Name => RelayOptions.Command;
    public string Usage => "OPTIONS -- COMMAND [ARGS...]";
    public string Summary => "(internal) the stop relay, run by bwrap as the sandbox's PID 1";
    public bool Hidden => true;

    public int Run(CommandContext context)
    {
        var (options, first) = RelayOptions.Parse(context.Args, context.First);
        return RelayProcess.Run(options, context.Args.Skip(first).ToList());
    }
}
