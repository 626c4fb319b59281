using System.Text;
using Sandboxer.Readiness;

namespace Sandboxer.Tests.Readiness;

public class ReadyLauncherTests
{
    [Fact]
    public void A_path_is_a_path_and_an_at_sign_an_abstract_name()
    {
        var (name, isAbstract) = ReadyLauncher.Address("/run/openrc/supervise-monerod.sock");
        Assert.Equal("/run/openrc/supervise-monerod.sock", Encoding.UTF8.GetString(name));
        Assert.False(isAbstract);
        (name, isAbstract) = ReadyLauncher.Address("@/org/freedesktop/systemd1/notify/42");
        Assert.Equal("/org/freedesktop/systemd1/notify/42", Encoding.UTF8.GetString(name));
        Assert.True(isAbstract);
    }

    [Theory]
    [InlineData("run/notify", "neither an absolute path nor an abstract socket")]
    [InlineData("@", "a socket name must be 1 to 107 bytes")]
    public void Names_sd_notify_would_not_take_are_refused(string value, string why)
    {
        var e = Assert.Throws<SandboxerException>(() => ReadyLauncher.Address(value));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_name_longer_than_sun_path_is_refused()
    {
        Assert.Equal(107, ReadyLauncher.Address("/" + new string('a', 106)).Name.Length);
        var e = Assert.Throws<SandboxerException>(() => ReadyLauncher.Address("/" + new string('a', 107)));
        Assert.Contains("a socket name must be 1 to 107 bytes", e.Message);
    }
}
