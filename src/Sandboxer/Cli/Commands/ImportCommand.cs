using Sandboxer.Import;
using Sandboxer.Install;
using Sandboxer.Profiles;

namespace Sandboxer.Cli.Commands;

public sealed record ImportOptions(List<string> Scripts, string? Into, string BackupDirectory);

/// <summary>
/// `import SCRIPT... [--into DIR] [--backup-dir DIR]`: bwrap wrapper scripts to profiles, never
/// run, never overwriting the admin's files. The one file it replaces is the package's hub as
/// shipped (<see cref="HubChange.ReplacePackaged"/>), kept in the backup directory.
/// </summary>
public sealed class ImportCommand : ICommand
{
    public string Name => "import";
    public string Usage => "SCRIPT... [--into DIR] [--backup-dir DIR]";
    public string Summary => "write the profiles that compose what bwrap wrapper scripts exec (into the profile directory)";

    public static ImportOptions Parse(CommandContext context)
    {
        var scripts = new List<string>();
        string? into = null;
        string backups = InstallOptions.DefaultBackupDirectory;
        var args = context.Own;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--into" || arg.StartsWith("--into=", StringComparison.Ordinal))
            {
                into = arg.Length > "--into".Length ? arg["--into=".Length..] : ++i < args.Count ? args[i] : "";
                if (into.Length == 0)
                    throw SandboxerException.Usage("--into needs a directory");
            }
            else if (arg == "--backup-dir")
                backups = ++i < args.Count && args[i].Length > 0 ? Path.GetFullPath(args[i]) : throw SandboxerException.Usage("--backup-dir needs a directory");
            else if (arg.StartsWith('-'))
                throw SandboxerException.Usage($"import: unknown option {arg}");
            else
                scripts.Add(Path.GetFullPath(arg));
        }
        return scripts.Count > 0 ? new ImportOptions(scripts, into, backups) : throw SandboxerException.Usage("import needs at least one script, such as: sandboxer import /usr/local/bin/bwrap-*");
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        string into = options.Into is null ? context.ProfileDirectory : Path.GetFullPath(options.Into);
        string hubFile = ProfileStore.HubName + ".toml";
        string hubPath = Path.Combine(into, hubFile);
        string? existing = FileWriter.Existing(hubPath);
        var plan = Importer.Plan(options.Scripts, Read, existing, PackagedHub());
        foreach (var note in plan.Notes)
            Console.Error.Write($"sandboxer: note: {Messages.Visible(note.ToString())}\n");
        foreach (var error in plan.Errors)
            Console.Error.Write($"sandboxer: {Messages.Visible(error.ToString())}\n");
        if (plan.Errors.Count > 0)
            throw new SandboxerException(ExitCodes.DataError, $"import: {plan.Errors.Count} problem{(plan.Errors.Count == 1 ? "" : "s")} in the scripts; nothing written");
        if (plan.Hub == HubChange.Conflict)
            throw new SandboxerException(ExitCodes.CannotCreate,
                $"{hubPath}: already there, edited (it is not the package's as shipped), and the scripts would not get their sandbox with it; nothing written: "
                + $"import with --into DIR (an empty directory), merge that defaults.toml with yours by hand and import again, or move yours away first");
        if (plan.Hub != HubChange.ReplacePackaged)
        {
            FileWriter.CreateAll(into, plan.Files.Select(f => (f.FileName, f.Text)).ToList());
            return 0;
        }
        // The services' profiles first: a conflict there leaves the package's hub in place too.
        var hub = plan.Files.Single(f => f.FileName == hubFile);
        FileWriter.CreateAll(into, plan.Files.Where(f => f != hub).Select(f => (f.FileName, f.Text)).ToList());
        string backup = Installer.Backup(options.BackupDirectory, hubFile, existing!);
        FileWriter.Replace(into, hubFile, hub.Text, FileWriter.Readable);
        Console.Out.Write($"replaced {hubPath}, the package's as shipped, with the imported one (the package's is {backup})\n");
        string lost = plan.GivenUp is { Count: > 0 } given ? $"; the package's also set {string.Join(", ", given)}, which yours does not: see sandboxer audit" : "";
        Console.Error.Write($"sandboxer: note: {hubPath}: the scripts' shared options are your policy and replace the package's hub{lost}\n");
        return 0;
    }

    /// <summary>
    /// The defaults.toml the package ships, as shipped: beside this binary, as the package lays
    /// them out (/usr/bin/sandboxer, /usr/share/sandboxer/profiles/), and trusted only when root's
    /// alone, as a profile is. Null when there is none to trust.
    /// </summary>
    private static string? PackagedHub()
    {
        string binary = Environment.ProcessPath ?? throw new SandboxerException(ExitCodes.Software, "cannot tell where this binary is");
        string path = PackagedHubPath(binary);
        if (!File.Exists(path))
            return null;
        try
        {
            return Importer.Text(Trust.TrustedPath.ReadFile(path, path), path);
        }
        catch (SandboxerException e)
        {
            Console.Error.Write($"sandboxer: note: the package's hub is not used: {Messages.Visible(e.Message)}\n");
            return null;
        }
    }

    /// <summary>bin/sandboxer's package hub: share/sandboxer/profiles/defaults.toml under the same prefix.</summary>
    public static string PackagedHubPath(string binary) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(binary)!, "..", "share", "sandboxer", "profiles", ProfileStore.HubName + ".toml"));

    /// <summary>A script or a file it sources, as text: read, never run.</summary>
    private static string Read(string path)
    {
        try
        {
            return Importer.Text(File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e, ExitCodes.DataError);
        }
    }
}
