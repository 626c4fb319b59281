using System.Globalization;
using Sandboxer.Audit;
using Sandboxer.Profiles;

namespace Sandboxer.Cli.Commands;

public sealed record TraceOptions(string Name, int Seconds, string[] Args);

/// <summary>
/// `trace NAME [--seconds N] [-- ARGS...]`: runs the service once in its sandbox under strace and
/// prints one profile line for each path or network call it could not reach that the host has,
/// with why. The daemon's own output goes to stderr. Never edits a profile. Exit 0 once it has
/// reported, whatever the daemon did.
/// </summary>
public sealed class TraceCommand : ICommand
{
    public const int DefaultSeconds = 10;

    public string Name => "trace";
    public string Usage => "NAME [--seconds N] [-- ARGS...]";
    public string Summary => "run the service once under strace and propose the lines its profile lacks";

    public static TraceOptions Parse(CommandContext context)
    {
        var args = context.Args;
        string name = CommandLine.Name(args, context.First, "trace");
        int seconds = DefaultSeconds;
        int i = context.First + 1;
        for (; i < args.Count; i++)
        {
            if (args[i] == "--")
            {
                i++;
                break;
            }
            if (args[i] == "--seconds" && i + 1 < args.Count
                && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out seconds) && seconds is > 0 and <= 3600)
                i++;
            else
                throw SandboxerException.Usage($"trace: {args[i]}: expected --seconds N (1 to 3600) or -- and the daemon's arguments");
        }
        return new TraceOptions(name, seconds, args.Skip(i).ToArray());
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        var profile = ProfileStore.Load(context.ProfileDirectory, options.Name);
        // What run would bind for libraries = "auto": in the traced sandbox, and not proposed again.
        var libraries = Elf.LibraryPlan.Mounts(profile, context.CreateLogger());
        string log = TraceRun.Run(profile, libraries, options.Args, options.Seconds);
        // The advice is about the profile as written, not the one trace ran.
        var written = ProfileStore.Load(context.ProfileDirectory, options.Name);
        var suggestions = TraceAdvice.From(StraceLog.Parse(log), written, libraries);
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { NewLine = "\n" };
        Write(stdout, options.Name, Path.Combine(context.ProfileDirectory, options.Name + ".toml"), suggestions);
        return 0;
    }

    /// <summary>
    /// Top-level lines and [sandbox] lines in a block each, headed by where they go, so that
    /// each block pastes as it is (into an array the file already has, the values join it).
    /// </summary>
    public static void Write(TextWriter output, string name, string file, IReadOnlyList<Suggestion> suggestions)
    {
        if (suggestions.Count == 0)
            output.WriteLine($"# {name}: nothing the daemon tried to reach is missing from its sandbox");
        foreach (bool top in (bool[])[true, false])
        {
            var block = suggestions.Where(s => s.TopLevel == top).ToList();
            if (block.Count == 0)
                continue;
            output.WriteLine(top ? $"# {name}: add at the top level of {file} (before its first [table]):" : $"# {name}: add under [sandbox] in {file}:");
            foreach (var suggestion in block)
                output.WriteLine(Messages.Visible(suggestion.Line));
        }
    }
}
