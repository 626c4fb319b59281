using System.Text;
using Sandboxer.Composition;

namespace Sandboxer.Tests.Composition;

public class ShellQuoteTests
{
    private static string Quote(params string[] words) =>
        Encoding.UTF8.GetString(ShellQuote.Line(words.Select(Encoding.UTF8.GetBytes).ToList()));

    [Fact]
    public void Plain_words_stay_bare_and_others_are_single_quoted()
    {
        Assert.Equal("/usr/bin/bwrap --bind /a,b:c /x=1 '' 'a b' 'it'\\''s' '$HOME' '*' '~'\n",
            Quote("/usr/bin/bwrap", "--bind", "/a,b:c", "/x=1", "", "a b", "it's", "$HOME", "*", "~"));
    }

    [Fact]
    public void Newlines_and_invalid_utf8_pass_through_inside_quotes()
    {
        var line = ShellQuote.Line([Encoding.UTF8.GetBytes("a\nb"), [0xff, 0x41]]);
        Assert.Equal([(byte)'\'', (byte)'a', (byte)'\n', (byte)'b', (byte)'\'', (byte)' ', (byte)'\'', 0xff, 0x41, (byte)'\'', (byte)'\n'], line);
    }
}
