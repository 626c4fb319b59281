using System.Text;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class ProfileStoreTests
{
    [Theory]
    [InlineData(new byte[] { 0xff }, "1:1")]
    [InlineData(new byte[] { (byte)'a', (byte)'\n', (byte)'#', 0xc3, (byte)'(' }, "2:2")]
    [InlineData(new byte[] { (byte)'#', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80 }, "1:4")] // é € then a surrogate's encoding
    public void A_profile_that_is_not_UTF8_is_rejected_at_its_first_bad_byte(byte[] spoke, string at)
    {
        var e = Assert.Throws<SandboxerException>(() => ProfileStore.Load("svc", [], Toml.Hub, spoke, Toml.Spoke));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Equal($"{Toml.Spoke}:{at}: not valid UTF-8", e.Message);
    }

    [Fact]
    public void The_hubs_errors_come_before_the_spokes()
    {
        var e = Assert.Throws<SandboxerException>(() => ProfileStore.Load("svc", [0xff], Toml.Hub, Encoding.UTF8.GetBytes("x = "), Toml.Spoke));
        Assert.Equal($"{Toml.Hub}:1:1: not valid UTF-8", e.Message);
    }
}
