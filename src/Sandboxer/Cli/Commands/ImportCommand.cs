using Sandboxer.Import;

namespace Sandboxer.Cli.Commands;

public sealed record ImportOptions(List<string> Scripts, string? Into);

/// <summary>`import SCRIPT... [--into DIR]`: bwrap wrapper scripts to profiles, never run, never overwriting.</summary>
public sealed class ImportCommand : ICommand
{
    public string Name => "import";
    public string Usage => "SCRIPT... [--into DIR]";
    public string Summary => "write the profiles that compose what bwrap wrapper scripts exec (into the profile directory)";

    public static ImportOptions Parse(CommandContext context)
    {
        var scripts = new List<string>();
        string? into = null;
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
            else if (arg.StartsWith('-'))
                throw SandboxerException.Usage($"import: unknown option {arg}");
            else
                scripts.Add(Path.GetFullPath(arg));
        }
        return scripts.Count > 0 ? new ImportOptions(scripts, into) : throw SandboxerException.Usage("import needs at least one script, such as: sandboxer import /usr/local/bin/bwrap-*");
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        string into = options.Into is null ? context.ProfileDirectory : Path.GetFullPath(options.Into);
        string hubPath = Path.Combine(into, Profiles.ProfileStore.HubName + ".toml");
        var plan = Importer.Plan(options.Scripts, Read, File.Exists(hubPath) ? Read(hubPath) : null);
        foreach (var note in plan.Notes)
            Console.Error.Write($"sandboxer: note: {Messages.Visible(note.ToString())}\n");
        foreach (var error in plan.Errors)
            Console.Error.Write($"sandboxer: {Messages.Visible(error.ToString())}\n");
        if (plan.Errors.Count > 0)
            throw new SandboxerException(ExitCodes.DataError, $"import: {plan.Errors.Count} problem{(plan.Errors.Count == 1 ? "" : "s")} in the scripts; nothing written");
        Install.FileWriter.CreateAll(into, plan.Files.Select(f => (f.FileName, f.Text)).ToList());
        return 0;
    }

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
