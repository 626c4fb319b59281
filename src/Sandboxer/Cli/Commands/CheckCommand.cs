using Sandboxer.Audit;

namespace Sandboxer.Cli.Commands;

/// <param name="Names">The profiles named; empty with <paramref name="All"/>.</param>
/// <param name="User">--user: the account the service runs as ("user" or "user:group").</param>
public sealed record CheckOptions(string[] Names, bool All, string? User);

/// <summary>
/// `check [NAME...|--all] [--user USER]`: every problem a start would hit, found without starting
/// anything. One line per finding, "file:line:col: error|warning: key: why", then one summary line
/// per profile. Exit 78 when any profile has an error, 0 when there are only warnings.
/// </summary>
public sealed class CheckCommand : ICommand
{
    public string Name => "check";
    public string Usage => "NAME...|--all [--user USER]";
    public string Summary => "find what would make a start fail, without starting anything";

    public static CheckOptions Parse(CommandContext context)
    {
        var names = new List<string>();
        bool all = false;
        string? user = null;
        var args = context.Args;
        for (int i = context.First; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--all")
                all = true;
            else if (arg == "--user")
                user = ++i < args.Count && args[i].Length > 0 ? args[i] : throw SandboxerException.Usage("--user needs an account, such as tor or tor:tor");
            else if (arg.StartsWith("--user=", StringComparison.Ordinal) && arg.Length > "--user=".Length)
                user = arg["--user=".Length..];
            else if (arg.StartsWith('-'))
                throw SandboxerException.Usage($"check: unknown option {arg}" + Hints.DidYouMean(arg, ["--all", "--user"]));
            else
                names.Add(CommandLine.CheckName(arg, arg));
        }
        if (all == (names.Count > 0))
            throw SandboxerException.Usage("check needs profile names or --all, not both");
        return new CheckOptions([.. names], all, user);
    }

    public int Run(CommandContext context)
    {
        var options = Parse(context);
        var user = options.User is null ? null : UserAccount.Find(options.User);
        string directory = context.ProfileDirectory;
        var names = options.All ? ProfileCheck.Names(directory) : [.. options.Names];
        var check = new ProfileCheck(user);
        bool failed = false;
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        foreach (string name in names)
        {
            var findings = Order(check.Run(directory, name));
            foreach (var finding in findings)
                stdout.WriteLine(finding.ToString());
            int errors = findings.Count(f => f.Severity == Severity.Error);
            int warnings = findings.Count(f => f.Severity == Severity.Warning);
            failed |= errors > 0;
            stdout.WriteLine(errors + warnings == 0 ? $"{name}: ok" : $"{name}: {Count(errors, "error")}, {Count(warnings, "warning")}");
        }
        return failed ? ExitCodes.Config : 0;
    }

    /// <summary>By file, line and column, as a compiler lists them; findings without a place first.</summary>
    public static List<Finding> Order(List<Finding> findings) =>
        findings.Select((f, i) => (f, i))
            .OrderBy(x => x.f.At?.File ?? "", StringComparer.Ordinal)
            .ThenBy(x => x.f.At?.Line ?? 0).ThenBy(x => x.f.At?.Column ?? 0).ThenBy(x => x.i)
            .Select(x => x.f).ToList();

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
