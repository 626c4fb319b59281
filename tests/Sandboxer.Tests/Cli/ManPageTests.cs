using Sandboxer.Cli;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Cli;

/// <summary>
/// The man pages (doc/*.scd, rendered by build/package.sh) against what the binary knows:
/// --help's commands, usage lines and summaries word for word, every exit status, every key.
/// </summary>
public class ManPageTests
{
    private static string Page(string name) =>
        File.ReadAllText(Path.Combine(Published.RepositoryRoot, "doc", name + ".scd")).Replace("\\_", "_").Replace("\\*", "*");

    private static readonly string Command = Page("sandboxer.1");
    private static readonly string Format = Page("sandboxer.toml.5");

    public static TheoryData<string> Commands => [.. CommandLine.Commands.Where(c => !c.Hidden).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_its_usage_and_summary_from_help_in_the_man_page(string name)
    {
        var command = Array.Find(CommandLine.Commands, c => c.Name == name)!;
        Assert.Contains($"*sandboxer* [*--profile-dir* _DIR_] *{name}* {command.Usage}\n", Command);
        Assert.Contains($"*{name}* {command.Usage}\n\t{command.Summary}\n", Command);
        Assert.Contains($"{name} {command.Usage}\n", CommandLine.Help);
    }

    [Fact]
    public void The_man_page_lists_no_command_help_does_not()
    {
        var listed = Command.Split('\n').Where(l => l.StartsWith("*sandboxer* [*--profile-dir* _DIR_] *", StringComparison.Ordinal))
            .Select(l => l.Split('*')[5]);
        Assert.Equal(CommandLine.Commands.Where(c => !c.Hidden).Select(c => c.Name), listed);
    }

    [Fact]
    public void Every_exit_status_is_in_help_and_in_the_man_page()
    {
        foreach (var field in typeof(ExitCodes).GetFields())
        {
            int code = (int)field.GetValue(null)!;
            Assert.Contains($"*{code}*\n\t", Command);
            Assert.Matches($@"\b{code} [a-z]", CommandLine.Help.Replace('\n', ' '));
        }
    }

    [Fact]
    public void Every_profile_key_is_in_the_format_page()
    {
        var keys = BwrapOptions.All.Select(o => o.Name)
            .Concat(ProfileReader.Sections.Select(s => $"[{s.Name}]"))
            .Concat(LibrarySettings.Keys)
            .Concat(["bwrap", "command", "args", "relay", "signal", "timeout", "wait", "state", "connect", "best-effort", "notify",
                "allow", "deny", "action", "families"])
            .Concat(LimitsSettings.Resources.Select(r => r.Name));
        foreach (var key in keys)
            Assert.Contains($"*{key}*", Format);
    }
}
