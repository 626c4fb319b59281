using Sandboxer.Cli;
using Sandboxer.Cli.Commands;

namespace Sandboxer.Tests.Cli;

public class CommandLineTests
{
    [Fact]
    public void A_bwrap_link_runs_its_profile_and_gives_every_argument_to_the_daemon()
    {
        var invocation = CommandLine.Parse("/usr/local/bin/bwrap-monerod", ["--help", "--", "run"]);
        Assert.IsType<RunCommand>(invocation.Command);
        Assert.Equal(new LaunchOptions("monerod", 0), RunCommand.Parse(invocation.Context));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("show")]
    public void Run_and_show_take_a_name_then_the_daemons_arguments(string verb)
    {
        var invocation = CommandLine.Parse("sandboxer", ["--profile-dir", "/p", verb, "tor", "-f", "x"]);
        Assert.Equal(verb, invocation.Command!.Name);
        Assert.Equal("/p", invocation.Context.ProfileDirectoryOption);
        Assert.Equal(new LaunchOptions("tor", 4), RunCommand.Parse(invocation.Context));
    }

    [Fact]
    public void A_double_dash_after_the_name_is_dropped_once()
    {
        Assert.Equal(3, RunCommand.Parse(CommandLine.Parse("sandboxer", ["run", "tor", "--", "--"]).Context).FirstDaemonArg);
        Assert.Equal(3, RunCommand.Parse(CommandLine.Parse("sandboxer", ["--profile-dir=/p", "run", "tor"]).Context).FirstDaemonArg);
    }

    [Fact]
    public void Signal_takes_a_name_and_one_signal()
    {
        Assert.Equal(new SignalOptions("tor", "HUP"), SignalCommand.Parse(CommandLine.Parse("sandboxer", ["signal", "tor", "HUP"]).Context));
        var e = Assert.Throws<SandboxerException>(() => SignalCommand.Parse(CommandLine.Parse("sandboxer", ["signal", "tor"]).Context));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
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
        var e = Assert.Throws<SandboxerException>(() => RunCommand.Parse(CommandLine.Parse("sandboxer", ["run", name]).Context));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("not a valid profile name", e.Message);
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "--frobnicate" }, "unknown option --frobnicate")]
    [InlineData(new[] { "start", "x" }, "unknown command \"start\"")]
    [InlineData(new[] { "sohw", "x" }, "unknown command \"sohw\" (did you mean \"show\"?)")]
    [InlineData(new[] { "--profile-dir" }, "--profile-dir needs a directory")]
    public void Bad_usage_is_refused_with_exit_64(string[] args, string message)
    {
        var e = Assert.Throws<SandboxerException>(() => CommandLine.Parse("sandboxer", args));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Run_without_a_name_is_a_usage_error()
    {
        var e = Assert.Throws<SandboxerException>(() => RunCommand.Parse(CommandLine.Parse("sandboxer", ["run"]).Context));
        Assert.Equal("run needs a profile name", e.Message);
    }

    [Fact]
    public void Names_may_hold_dots_dashes_and_underscores()
    {
        Assert.Equal("socat-navidrome.v2_x", CommandLine.Parse("bwrap-socat-navidrome.v2_x", []).Context.LinkName);
    }

    [Fact]
    public void Help_lists_every_command_but_the_internal_relay()
    {
        string help = CommandLine.Help;
        foreach (var command in CommandLine.Commands)
        {
            if (command.Hidden)
                Assert.DoesNotContain($" {command.Name} ", help);
            else
                Assert.Contains($"sandboxer [--profile-dir DIR] {command.Name} {command.Usage}\n", help);
        }
    }
}
