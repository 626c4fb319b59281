using Sandboxer.Composition;
using Sandboxer.Relay;

namespace Sandboxer.Cli.Commands;

/// <summary>`show NAME [ARGS...]`: the command run would exec, quoted for sh, descriptors numbered as run numbers them.</summary>
public sealed class ShowCommand : ICommand
{
    public string Name => "show";
    public string Usage => "NAME [--] [ARGS...]";
    public string Summary => "print the exact command run would exec, quoted for sh";

    public int Run(CommandContext context)
    {
        var options = RunCommand.Parse(context, Name);
        var logger = context.CreateLogger();
        var (profile, daemon) = RunCommand.Load(context, options, logger);
        var libraries = Elf.LibraryPlan.Mounts(profile, logger);
        var confinement = Confinement.Confinement.From(profile, forRun: false);
        var relay = profile.Stop.Relay ? RelayLauncher.Describe(profile, daemon, confinement) : null;
        int? seccompFd = RelayLauncher.FilterDescriptor(profile, relay, confinement);
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(ShellQuote.Line(Composer.Compose(profile, daemon, relay, seccompFd, libraries)));
        return 0;
    }
}
