using Sandboxer.Relay;

namespace Sandboxer.Tests.Relay;

public class RelayOptionsTests
{
    [Fact]
    public void Readiness_descriptors_read_back_as_written()
    {
        var written = new RelayOptions(15, 30, 4, 5, null, ReadyFd: 3, NotifyFd: 6);
        var arguments = written.ToArguments();
        Assert.Equal("relay --signal 15 --timeout 30 --lock-fd 4 --args-fd 5 --ready-fd 3 --notify-fd 6 --", string.Join(' ', arguments));
        var (read, first) = RelayOptions.Parse([.. arguments.Skip(1), "/bin/d"], 0);
        Assert.Equal(written, read);
        Assert.Equal(arguments.Count - 1, first);
    }

    [Theory]
    [InlineData("--lock-fd", "3", "--ready-fd", "3")]
    [InlineData("--lock-fd", "3", "--notify-fd", "3")]
    [InlineData("--lock-fd", "4", "--args-fd", "5", "--notify-fd", "5")]
    public void Descriptors_that_share_a_number_are_refused(params string[] options)
    {
        var e = Assert.Throws<SandboxerException>(() => RelayOptions.Parse(["--signal", "15", "--timeout", "1", .. options, "--", "/bin/d"], 0));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Equal("relay: each descriptor needs a number of its own", e.Message);
    }
}
