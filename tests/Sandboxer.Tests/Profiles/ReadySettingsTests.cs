using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class ReadySettingsTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void Nothing_is_passed_for_readiness_by_default()
    {
        var ready = Toml.Load("", Command).Ready;
        Assert.Equal(ReadyNotify.None, ready.Notify);
        Assert.Null(ready.PassedDescriptor);
    }

    [Theory]
    [InlineData("fd:3", 3)]
    [InlineData("fd:15", 15)]
    public void Fd_n_names_the_descriptor_passed_on(string value, int fd)
    {
        var ready = Toml.Load("", Command + $"[ready]\nnotify = \"{value}\"\n").Ready;
        Assert.Equal(ReadyNotify.Descriptor, ready.Notify);
        Assert.Equal(fd, ready.PassedDescriptor);
    }

    [Fact]
    public void Socket_passes_no_descriptor_as_it_is()
    {
        var ready = Toml.Load("", Command + "[ready]\nnotify = \"socket\"\n").Ready;
        Assert.Equal(ReadyNotify.Socket, ready.Notify);
        Assert.Null(ready.PassedDescriptor);
    }

    [Fact]
    public void The_service_overrides_the_hub_and_none_turns_it_off()
    {
        Assert.Equal(ReadyNotify.Socket, Toml.Load("[ready]\nnotify = \"fd:3\"\n", Command + "[ready]\nnotify = \"socket\"\n").Ready.Notify);
        Assert.Equal(ReadyNotify.None, Toml.Load("[ready]\nnotify = \"fd:3\"\n", Command + "[ready]\nnotify = \"none\"\n").Ready.Notify);
    }

    [Theory]
    [InlineData("notify = \"fd:2\"", "2:10: ready.notify: \"fd:2\" must be \"fd:N\" with N from 3 to 15")]
    [InlineData("notify = \"fd:16\"", "2:10: ready.notify: \"fd:16\" must be \"fd:N\" with N from 3 to 15")]
    [InlineData("notify = \"fd:+3\"", "2:10: ready.notify: \"fd:+3\" must be")]
    [InlineData("notify = \"fd:3 \"", "2:10: ready.notify: \"fd:3 \" must be")]
    [InlineData("notify = \"socket:ready\"", "2:10: ready.notify: \"socket:ready\" must be")]
    [InlineData("notify = 3", "2:10: ready.notify: must be a string, not an integer")]
    [InlineData("notfy = \"socket\"", "2:1: ready.notfy: unknown key (did you mean \"notify\"?)")]
    public void Bad_ready_settings_are_rejected_at_their_location(string line, string expected)
    {
        var e = Toml.Error("", Command.Replace("\n", "") + "\n[ready]\n" + line + "\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:" + expected.Replace("2:", "3:"), e.Message);
    }

    [Fact]
    public void Socket_without_the_relay_is_rejected()
    {
        var e = Toml.Error("[ready]\nnotify = \"socket\"\n", Command + "[stop]\nrelay = false\n");
        Assert.StartsWith("/etc/sandboxer/defaults.toml:2:10: ready.notify: \"socket\" needs the stop relay", e.Message);
    }

    [Fact]
    public void Fd_n_works_without_the_relay()
    {
        Assert.Equal(3, Toml.Load("", Command + "[ready]\nnotify = \"fd:3\"\n[stop]\nrelay = false\n").Ready.PassedDescriptor);
    }

    [Fact]
    public void Socket_with_a_notify_socket_of_the_profiles_own_is_rejected()
    {
        var e = Toml.Error("", Command + "[ready]\nnotify = \"socket\"\n[sandbox.setenv]\nNOTIFY_SOCKET = \"/x\"\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:5:17: sandbox.setenv.NOTIFY_SOCKET: [ready] notify = \"socket\" gives the daemon its own", e.Message);
    }
}
