using System.Text.RegularExpressions;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The releases of bubblewrap and OpenRC the suites run against (Debian 12's 0.8 and 0.45 on
/// the host, 0.13 and 0.64 in build/sid.sh's tree), as <see cref="Stack"/> reads them: each
/// probe is checked against what the installed program offers, and a bwrap option is used
/// where its release has it and refused by name where it does not.
/// </summary>
public sealed partial class StackTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    [Fact]
    public void Every_bwrap_option_is_offered_by_the_installed_bwrap_exactly_when_its_release_is_not_newer()
    {
        var help = Runner.Run(Published.Bwrap, ["--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        var offered = HelpOption().Matches(help.Output).Select(m => m.Groups[1].Value).ToHashSet();

        var wrong = BwrapOptions.All.Where(o => offered.Contains(o.Name) != Stack.BwrapHas(o.Since))
            .Select(o => $"--{o.Name} (since {o.Since}: {(offered.Contains(o.Name) ? "offered" : "missing")})").ToList();
        Assert.True(wrong.Count == 0, $"bubblewrap {Stack.Bwrap} disagrees with BwrapOptions: {string.Join(", ", wrong)}");
    }

    [Fact]
    public void An_option_of_bwrap_0_11_works_where_bwrap_has_it_and_is_refused_by_name_where_not()
    {
        // level-prefix marks bwrap's own messages with their syslog level: a missing source gives one.
        profiles.Write("prefixed", $"""
            command = "/bin/true"
            [sandbox]
            level-prefix = true
            {ProfileDirectory.ShellMounts}
            ro-bind = ["/nonexistent/source"]
            """);

        var result = Runner.Run(profiles.Link("prefixed"), Array.Empty<string>(), profiles.Environment());

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(Stack.BwrapHas("0.11")
                ? "<3>bwrap: Can't find source path /nonexistent/source: No such file or directory\n"
                : "bwrap: Unknown option --level-prefix\n",
            result.Stderr);
    }

    [Fact]
    public void The_installed_supervise_daemon_offers_notify_exactly_from_OpenRC_0_62()
    {
        var help = Stack.SuperviseDaemon("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Equal(Stack.OpenRCHas("0.62"), HelpOption().Matches(help.Output).Any(m => m.Groups[1].Value == "notify"));
    }

    [Theory]
    [InlineData("0.11", "0.11.0")]
    [InlineData("0.8.0", "0.8.0")]
    [InlineData("0.64.1", "0.64.1")]
    public void A_release_compares_equal_to_its_first_patch_release(string release, string expected) =>
        Assert.Equal(Version.Parse(expected), Stack.ParseRelease(release));

    /// <summary>"    --bind SRC DEST   Bind mount...": one option a line, as both programs print their help.</summary>
    [GeneratedRegex(@"^\s+(?:-\w, )?--([a-z0-9-]+)", RegexOptions.Multiline)]
    private static partial Regex HelpOption();
}
