using Sandboxer.Audit;
using Sandboxer.Install;
using Sandboxer.Profiles;

namespace Sandboxer.Cli.Commands;

/// <summary>`install NAME [--openrc SERVICE] [--dry-run]`: the bwrap-NAME link, and the init script rewritten to use it.</summary>
public sealed class InstallCommand : ICommand
{
    public string Name => "install";
    public string Usage => "NAME [--openrc SERVICE] [--dry-run] [--link-dir DIR] [--init-dir DIR] [--backup-dir DIR]";
    public string Summary => "link bwrap-NAME to sandboxer; with --openrc, rewrite that init script to run it (shown as a diff)";

    public static InstallOptions Parse(CommandContext context)
    {
        string? name = null, openrc = null;
        bool dryRun = false;
        string links = InstallOptions.DefaultLinkDirectory, init = InstallOptions.DefaultInitDirectory, backups = InstallOptions.DefaultBackupDirectory;
        var args = context.Own;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Operand() => ++i < args.Count && args[i].Length > 0 ? args[i] : throw SandboxerException.Usage($"install: {arg} needs a value");
            switch (arg)
            {
                case "--openrc": openrc = Operand(); break;
                case "--dry-run": dryRun = true; break;
                case "--link-dir": links = Path.GetFullPath(Operand()); break;
                case "--init-dir": init = Path.GetFullPath(Operand()); break;
                case "--backup-dir": backups = Path.GetFullPath(Operand()); break;
                default:
                    if (arg.StartsWith('-') || name is not null)
                        throw SandboxerException.Usage($"install: unexpected {arg} (see sandboxer --help)");
                    name = CommandLine.CheckName(arg, arg);
                    break;
            }
        }
        return new InstallOptions(name ?? throw SandboxerException.Usage("install needs a profile name"), openrc, dryRun, links, init, backups);
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        Check(context.ProfileDirectory, options.Name);
        // The profile must load as run would load it: trusted, and free of errors.
        var profile = ProfileStore.Load(context.ProfileDirectory, options.Name);
        string binary = Environment.ProcessPath ?? throw new SandboxerException(ExitCodes.Software, "cannot tell where this binary is");
        string? directory = context.ProfileDirectory == ProfileStore.DefaultDirectory ? null : context.ProfileDirectory;
        Installer.Run(options, profile, binary, directory);
        return 0;
    }

    /// <summary>What check finds, on stderr: an error stops the install before anything is written, a warning is shown.</summary>
    private static void Check(string directory, string name)
    {
        var findings = CheckCommand.Order(new ProfileCheck(null).Run(directory, name));
        foreach (var finding in findings)
            Console.Error.Write($"sandboxer: {finding}\n");
        int errors = findings.Count(f => f.Severity == Severity.Error);
        if (errors > 0)
            throw new SandboxerException(ExitCodes.Config, $"install: {name}: {errors} error{(errors == 1 ? "" : "s")} (sandboxer check {name}); nothing installed");
    }
}
