using Sandboxer.Profiles;

namespace Sandboxer.Install;

/// <param name="Name">The profile.</param>
/// <param name="OpenRc">The init script's service name, for --openrc.</param>
/// <param name="LinkDirectory">Where bwrap-NAME goes: root's alone.</param>
/// <param name="InitDirectory">Where the init script is.</param>
/// <param name="BackupDirectory">Where the init script's original is kept (not beside it: OpenRC would take a copy in /etc/init.d for a service).</param>
public sealed record InstallOptions(string Name, string? OpenRc, bool DryRun, string LinkDirectory, string InitDirectory, string BackupDirectory)
{
    public const string DefaultLinkDirectory = "/usr/local/bin";
    public const string DefaultInitDirectory = "/etc/init.d";
    public const string DefaultBackupDirectory = "/var/backups/sandboxer";
}

/// <summary>
/// Puts a checked profile in service: the bwrap-NAME link to this binary and, for OpenRC, the
/// init script rewritten (<see cref="OpenRcScript"/>), shown as a diff, its original kept.
/// Every directory written in must be root's alone (<see cref="Trust.TrustedPath"/>), so no
/// other user can swap what is written between a check and a use; new names are created
/// exclusively (no planted link is followed) and a replaced file is renamed over, never opened
/// for writing.
/// </summary>
public static class Installer
{
    public static void Run(InstallOptions options, Profile profile, string binary, string? profileDirectoryOption)
    {
        // The services run this binary as root: it must be root's as much as a profile is.
        Trust.TrustedPath.ReadFile(binary, binary);
        string link = Path.Combine(options.LinkDirectory, Cli.CommandLine.LinkPrefix + options.Name);
        // Whether the link can go in is known before the init script is written, so a refusal leaves both as they were.
        var plan = PlanLink(options, link, binary, profile);
        if (options.OpenRc is { } service)
        {
            var settings = new OpenRcSettings(link, binary, options.Name, profileDirectoryOption, profile.Stop.Timeout, profile.Stop.StateRoot);
            InitScript(options, service, settings);
        }
        Link(options, plan);
    }

    private enum LinkChange { Unchanged, Create, Update, ReplaceScript }

    /// <param name="OldScript">For <see cref="LinkChange.ReplaceScript"/>: the wrapper's text, for its backup.</param>
    private sealed record LinkPlan(string Link, string Binary, LinkChange Change, string? OldScript);

    private static LinkPlan PlanLink(InstallOptions options, string link, string binary, Profile profile)
    {
        Trust.TrustedPath.OpenDirectory(options.LinkDirectory, options.LinkDirectory).Dispose();
        string? target = new FileInfo(link).LinkTarget;
        if (target == binary)
            return new(link, binary, LinkChange.Unchanged, null);
        if (target is not null)
        {
            // Ours: a link to a sandboxer binary, which may have moved. Anything else is the admin's.
            return Path.GetFileName(target) == "sandboxer"
                ? new(link, binary, LinkChange.Update, null)
                : throw new SandboxerException(ExitCodes.CannotCreate, $"{link}: a link to {target}, not to sandboxer; nothing replaced: remove it first");
        }
        if (Directory.Exists(link))
            throw new SandboxerException(ExitCodes.CannotCreate, $"{link}: a directory; nothing replaced");
        if (!File.Exists(link))
            return new(link, binary, LinkChange.Create, null);
        var libraries = Elf.LibraryPlan.Mounts(profile, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return new(link, binary, LinkChange.ReplaceScript, OldWrapper.Prove(link, profile, libraries));
    }

    private static void Link(InstallOptions options, LinkPlan plan)
    {
        var (link, binary) = (plan.Link, plan.Binary);
        if (plan.Change == LinkChange.Unchanged)
        {
            Console.Out.Write($"unchanged {link} -> {binary}\n");
            return;
        }
        if (options.DryRun)
        {
            Console.Out.Write(plan.Change == LinkChange.ReplaceScript
                ? $"would replace {link}, the old wrapper script (the profile makes the sandbox it makes), with a link to {binary}; the script would be kept in {options.BackupDirectory}\n"
                : $"would link {link} -> {binary}\n");
            return;
        }
        string? backup = plan.OldScript is { } old ? Backup(options.BackupDirectory, Path.GetFileName(link), old) : null;
        try
        {
            if (plan.Change == LinkChange.Create)
                File.CreateSymbolicLink(link, binary);
            else
            {
                // Renamed over, so that the name always leads to the script or to the link, never to nothing.
                string fresh = Path.Combine(options.LinkDirectory, $".{Path.GetFileName(link)}.sandboxer-new");
                File.CreateSymbolicLink(fresh, binary);
                File.Move(fresh, link, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(link, e, ExitCodes.CannotCreate);
        }
        Console.Out.Write(backup is null
            ? $"linked {link} -> {binary}\n"
            : $"replaced {link}, the old wrapper script (the profile makes the sandbox it made), with a link -> {binary} (the script is {backup})\n");
    }

    private static void InitScript(InstallOptions options, string service, OpenRcSettings settings)
    {
        Cli.CommandLine.CheckName(service, service);
        Trust.TrustedPath.OpenDirectory(options.InitDirectory, options.InitDirectory).Dispose();
        string script = Path.Combine(options.InitDirectory, service);
        string before = FileWriter.Existing(script) ?? throw new SandboxerException(ExitCodes.Config, $"{script}: no such init script");
        string after = OpenRcScript.Rewrite(before, settings);
        if (after == before)
        {
            Console.Out.Write($"unchanged {script}\n");
            return;
        }
        Console.Out.Write(UnifiedDiff.Of(before, after, script, script));
        if (options.DryRun)
            return;

        string backup = Backup(options.BackupDirectory, service + ".initd", before);
        FileWriter.Replace(options.InitDirectory, service, after, File.GetUnixFileMode(script));
        Console.Out.Write($"wrote {script} (the original is {backup})\n");
    }

    /// <summary>The original's text under a name not yet taken, in a directory only root may read.</summary>
    public static string Backup(string directory, string name, string text)
    {
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Trust.TrustedPath.OpenDirectory(directory, directory).Dispose();
        for (int n = 0; ; n++)
        {
            string path = Path.Combine(directory, n == 0 ? name : $"{name}.{n}");
            if (FileWriter.Existing(path) is { } existing)
            {
                if (existing == text)
                    return path;
                continue;
            }
            FileWriter.Create(path, text, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return path;
        }
    }
}
