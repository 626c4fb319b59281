using System.Globalization;
using Sandboxer.Audit;
using Sandboxer.Profiles;

namespace Sandboxer.Cli.Commands;

/// <param name="Threshold">--threshold: exit 1 when a profile scores above it.</param>
public sealed record AuditOptions(string[] Names, bool All, bool Json, double? Threshold);

/// <summary>
/// `audit [NAME...|--all] [--json] [--threshold N]`: how far each profile loosens the hub, one
/// line per loosening with its weight and reason, and a score from 0 to 10; the profiles ranked,
/// most exposed first. A profile that cannot be read is reported on stderr and makes the exit 78;
/// otherwise --threshold makes it 1 when any score is above N.
/// </summary>
public sealed class AuditCommand : ICommand
{
    public string Name => "audit";
    public string Usage => "NAME...|--all [--json] [--threshold N]";
    public string Summary => "score how far each profile loosens defaults.toml, 0 to 10, and say why";

    public static AuditOptions Parse(CommandContext context)
    {
        var names = new List<string>();
        bool all = false, json = false;
        double? threshold = null;
        var args = context.Args;
        for (int i = context.First; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--all")
                all = true;
            else if (arg == "--json")
                json = true;
            else if (arg == "--threshold")
                threshold = Threshold(++i < args.Count ? args[i] : null);
            else if (arg.StartsWith("--threshold=", StringComparison.Ordinal))
                threshold = Threshold(arg["--threshold=".Length..]);
            else if (arg.StartsWith('-'))
                throw SandboxerException.Usage($"audit: unknown option {arg}" + Hints.DidYouMean(arg, ["--all", "--json", "--threshold"]));
            else
                names.Add(CommandLine.CheckName(arg, arg));
        }
        if (all == (names.Count > 0))
            throw SandboxerException.Usage("audit needs profile names or --all, not both");
        return new AuditOptions([.. names], all, json, threshold);
    }

    private static double Threshold(string? text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value <= ExposureReport.Maximum
            ? value
            : throw SandboxerException.Usage($"--threshold needs a score from 0 to 10, such as 6 or 4.5, not \"{text}\"");

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        string directory = context.ProfileDirectory;
        var names = options.All ? ProfileCheck.Names(directory) : [.. options.Names];
        var reports = new List<ExposureReport>();
        int status = 0;
        foreach (string name in names)
        {
            try
            {
                reports.Add(ExposureReport.For(ProfileStore.Load(directory, name), Path.Combine(directory, name + ".toml")));
            }
            catch (SandboxerException e)
            {
                Console.Error.Write($"sandboxer: {Messages.Visible(e.Message)}\n");
                status = e.ExitCode;
            }
        }
        var ranked = Rank(reports);
        using var stdout = Console.OpenStandardOutput();
        if (options.Json)
            stdout.Write(AuditOutput.Json(ranked));
        else if (ranked.Count > 0)
        {
            bool colour = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
            stdout.Write(System.Text.Encoding.UTF8.GetBytes(AuditOutput.Table(ranked, colour)));
        }
        if (status != 0)
            return status;
        return options.Threshold is { } threshold && ranked.Exists(r => r.Score > threshold) ? 1 : 0;
    }

    /// <summary>Most exposed first; equal scores by name.</summary>
    public static List<ExposureReport> Rank(IEnumerable<ExposureReport> reports) =>
        reports.OrderByDescending(r => r.Score).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
}
