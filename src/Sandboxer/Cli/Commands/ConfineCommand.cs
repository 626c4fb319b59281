using Sandboxer.Confinement;

namespace Sandboxer.Cli.Commands;

/// <summary>`confine --confine-fd N --args-fd M`: run by the relay to start the daemon under its limits and seccomp filter.</summary>
public sealed class ConfineCommand : ICommand
{
    public string Name => ConfineStep.Command;
    public string Usage => "--confine-fd N --args-fd N";
    public string Summary => "(internal) sets the daemon's limits and seccomp filter, then execs it; run by the relay";
    public bool Hidden => true;

    public int Run(CommandContext context) => ConfineStep.Run(context.Args, context.First);
}
