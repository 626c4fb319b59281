using Sandboxer.Cli;
using Sandboxer.Cli.Commands;

namespace Sandboxer.Tests.Cli.Commands;

public class AuditCommandsParseTests
{
    private static CommandContext Context(params string[] args) => CommandLine.Parse("sandboxer", args).Context;

    [Fact]
    public void Check_takes_names_or_all_and_a_user()
    {
        var options = CheckCommand.Parse(Context("check", "tor", "socat", "--user", "tor:tor"));
        Assert.Equal(("tor socat", false, "tor:tor"), (string.Join(' ', options.Names), options.All, options.User));
        options = CheckCommand.Parse(Context("--profile-dir", "/p", "check", "--all", "--user=svc"));
        Assert.Equal((true, "svc"), (options.All, options.User));
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check", "--all", "tor")]
    [InlineData("check", "tor", "--user")]
    [InlineData("check", "--usr", "x", "tor")]
    [InlineData("check", "../x")]
    [InlineData("audit")]
    [InlineData("audit", "tor", "--all")]
    [InlineData("audit", "tor", "--threshold")]
    [InlineData("audit", "tor", "--threshold", "11")]
    [InlineData("audit", "tor", "--threshold", "-1")]
    [InlineData("audit", "tor", "--threshold", "high")]
    [InlineData("audit", "tor", "--jsno")]
    public void Wrong_arguments_are_usage_errors(params string[] args)
    {
        var invocation = CommandLine.Parse("sandboxer", args);
        var e = Assert.Throws<SandboxerException>(() =>
        {
            if (invocation.Command is CheckCommand)
                CheckCommand.Parse(invocation.Context);
            else
                AuditCommand.Parse(invocation.Context);
        });
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Fact]
    public void Audit_takes_json_and_a_threshold()
    {
        var parsed = AuditCommand.Parse(Context("audit", "tor", "--json", "--threshold", "4.5"));
        Assert.Equal(("tor", false, true, (double?)4.5), (string.Join(' ', parsed.Names), parsed.All, parsed.Json, parsed.Threshold));
        var options = AuditCommand.Parse(Context("audit", "--all", "--threshold=6"));
        Assert.Equal((true, false, 6.0), (options.All, options.Json, options.Threshold));
    }

    [Fact]
    public void Help_lists_check_and_audit()
    {
        Assert.Contains("sandboxer [--profile-dir DIR] check NAME...|--all [--user USER]", CommandLine.Help);
        Assert.Contains("sandboxer [--profile-dir DIR] audit NAME...|--all [--json] [--threshold N]", CommandLine.Help);
    }
}
