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

    private static readonly byte[][] Awkward =
    [
        "esc\u001b[31mred"u8.ToArray(), "cr\rover"u8.ToArray(), "mid\nline"u8.ToArray(), "ends\n\n"u8.ToArray(),
        "\n"u8.ToArray(), "\u001b\n\nx"u8.ToArray(), [0xff, 0x41, 0x9b], "c1\u009bJ"u8.ToArray(), "bidi\u202e"u8.ToArray(),
        "tab\tdel\u007f"u8.ToArray(), "it's é"u8.ToArray(), "%d \\ $(x) `y`"u8.ToArray(), "\u0001\u0002"u8.ToArray(),
    ];

    [Fact]
    public void Nothing_a_terminal_acts_on_is_written_raw()
    {
        byte[] line = ShellQuote.Line(Awkward);
        // Only the line's own end and the words' trailing newlines are raw control bytes.
        var raw = line.Where(b => b < 0x20 || b == 0x7f || b >= 0x80).ToArray();
        Assert.All(raw, b => Assert.True(b == '\n' || b >= 0x80, $"raw byte 0x{b:x2}"));
        Assert.DoesNotContain(Encoding.UTF8.GetString(line), c => c is (>= '\u0080' and <= '\u009f') or '\u202e' or '\ufffd');
        Assert.Equal("'tab'\"$(printf '\\011')\"'del'\"$(printf '\\177')\"", Encoding.UTF8.GetString(ShellQuote.Line([Awkward[9]])).TrimEnd('\n'));
    }

    [Theory]
    [InlineData("/bin/sh")]
    [InlineData("/bin/busybox")]
    public void Sh_reads_the_quoted_line_back_as_the_same_bytes(string shell)
    {
        // The script's bytes reach sh through a file: argv would have to be UTF-8.
        string file = Path.GetTempFileName();
        File.WriteAllBytes(file, ShellQuote.Line(["printf"u8.ToArray(), "%s\\0"u8.ToArray(), .. Awkward]));
        try
        {
            var result = Support.Runner.Run(shell, shell.EndsWith("busybox", StringComparison.Ordinal) ? ["sh", file] : [file]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Awkward, result.NulSeparated());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
