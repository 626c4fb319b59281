using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class StopSettingsTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void The_relay_is_on_by_default_with_sigterm_and_30_seconds()
    {
        var stop = Toml.Load("", Command).Stop;
        Assert.True(stop.Relay);
        Assert.Equal(15, stop.Signal);
        Assert.Equal(30, stop.Timeout);
        Assert.Equal(40, stop.StartWait);
        Assert.Equal("/run/sandboxer/svc", stop.StateDirectory("svc"));
    }

    [Fact]
    public void The_service_overrides_the_hubs_stop_settings()
    {
        var stop = Toml.Load("[stop]\nsignal = \"INT\"\ntimeout = 5\nstate = \"/run/x\"\n", Command + "[stop]\nsignal = \"SIGQUIT\"\nwait = 60\n").Stop;
        Assert.Equal(3, stop.Signal);
        Assert.Equal(5, stop.Timeout);
        Assert.Equal(60, stop.StartWait);
        Assert.Equal("/run/x/svc", stop.StateDirectory("svc"));
    }

    [Fact]
    public void Relay_false_turns_it_off()
    {
        Assert.False(Toml.Load("", Command + "[stop]\nrelay = false\n").Stop.Relay);
    }

    [Theory]
    [InlineData("signal = \"TERMINATE\"", "2:10: stop.signal: \"TERMINATE\" is not a signal a daemon can handle, such as \"TERM\" or \"INT\"")]
    [InlineData("signal = \"KILL\"", "2:10: stop.signal: \"KILL\" is not a signal a daemon can handle, such as \"TERM\" or \"INT\"")]
    [InlineData("timeout = -1", "2:11: stop.timeout: -1 is not between 0 and 86400 seconds")]
    [InlineData("timeout = \"30s\"", "2:11: stop.timeout: must be a number of seconds, not a string")]
    [InlineData("state = \"run/x\"", "2:9: stop.state: \"run/x\" must be an absolute path")]
    [InlineData("realy = false", "2:1: stop.realy: unknown key (did you mean \"relay\"?)")]
    public void Bad_stop_settings_are_rejected_at_their_location(string line, string expected)
    {
        var e = Toml.Error("", Command.Replace("\n", "") + "\n[stop]\n" + line + "\n");
        Assert.Equal("/etc/sandboxer/svc.toml:" + expected.Replace("2:", "3:"), e.Message);
    }

    [Fact]
    public void Lock_file_with_the_relay_is_rejected_as_bwrap_would()
    {
        var e = Toml.Error("", Command + "[sandbox]\nlock-file = \"/x\"\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:3:13: sandbox.lock-file: bwrap refuses it with --as-pid-1", e.Message);
    }
}
