using Sandboxer.Cli;

namespace Sandboxer.Tests.Cli;

public class CommandLineTests
{
    [Fact]
    public void A_bwrap_link_runs_its_profile_and_gives_every_argument_to_the_daemon()
    {
        var invocation = CommandLine.Parse("/usr/local/bin/bwrap-monerod", ["--help", "--", "run"]);
        Assert.Equal(new Invocation(Command.Run, "monerod", null, 0), invocation);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("show")]
    public void Run_and_show_take_a_name_then_the_daemons_arguments(string verb)
    {
        var invocation = CommandLine.Parse("sandboxer", ["--profile-dir", "/p", verb, "tor", "-f", "x"]);
        Assert.Equal(new Invocation(verb == "run" ? Command.Run : Command.Show, "tor", "/p", 4), invocation);
    }

    [Fact]
    public void A_double_dash_after_the_name_is_dropped_once()
    {
        Assert.Equal(3, CommandLine.Parse("sandboxer", ["run", "tor", "--", "--"]).FirstDaemonArg);
        Assert.Equal(3, CommandLine.Parse("sandboxer", ["--profile-dir=/p", "run", "tor"]).FirstDaemonArg);
    }

    [Theory]
    [InlineData("bwrap-../x")]
    [InlineData("bwrap-.x")]
    [InlineData("bwrap-")]
    [InlineData("bwrap--x")]
    [InlineData("bwrap-a b")]
    [InlineData("bwrap-defaults")]
    public void Invalid_names_in_the_link_are_usage_errors(string argv0)
    {
        var e = Assert.Throws<SandboxerException>(() => CommandLine.Parse("/usr/local/bin/" + argv0, []));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    public void Invalid_names_after_run_are_usage_errors(string name)
    {
        var e = Assert.Throws<SandboxerException>(() => CommandLine.Parse("sandboxer", ["run", name]));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("not a valid profile name", e.Message);
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "--frobnicate" }, "unknown option --frobnicate")]
    [InlineData(new[] { "start", "x" }, "unknown command \"start\"")]
    [InlineData(new[] { "run" }, "run needs a profile name")]
    [InlineData(new[] { "--profile-dir" }, "--profile-dir needs a directory")]
    public void Bad_usage_is_refused_with_exit_64(string[] args, string message)
    {
        var e = Assert.Throws<SandboxerException>(() => CommandLine.Parse("sandboxer", args));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Names_may_hold_dots_dashes_and_underscores()
    {
        Assert.Equal("socat-navidrome.v2_x", CommandLine.Parse("bwrap-socat-navidrome.v2_x", []).Name);
    }
}
