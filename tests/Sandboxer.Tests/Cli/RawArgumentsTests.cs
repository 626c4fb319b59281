using System.Text;
using Sandboxer.Cli;

namespace Sandboxer.Tests.Cli;

public class RawArgumentsTests
{
    [Fact]
    public void Valid_utf8_arguments_are_their_own_bytes()
    {
        var raw = RawArguments.From(["skip", "é", "", "a\nb"], 1);
        Assert.Equal(["é"u8.ToArray(), [], "a\nb"u8.ToArray()], raw);
    }

    [Fact]
    public void Cmdline_splits_at_each_nul_keeping_empty_arguments()
    {
        var parts = RawArguments.Split("a\0\0b c\0"u8);
        Assert.Equal(["a", "", "b c"], parts.Select(p => Encoding.UTF8.GetString(p)));
    }
}
