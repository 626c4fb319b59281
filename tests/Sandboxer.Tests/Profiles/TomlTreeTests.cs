using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

/// <summary>
/// The TOML rules TomlTree checks itself (Tomlyn's streaming parser checks only the syntax):
/// each message names the file, line and column of the key that breaks them.
/// </summary>
public class TomlTreeTests
{
    private const string Command = "command = \"/bin/d\"\n";

    /// <summary>A service's profile of the command and <paramref name="toml"/> fails with the message at <paramref name="expected"/>.</summary>
    private static void Rejected(string toml, string expected)
    {
        var e = Toml.Error("", Command + toml);
        Assert.Equal("/etc/sandboxer/svc.toml:" + expected, e.Message);
    }

    [Theory]
    [InlineData("[sandbox]\nshare-net = true\n[sandbox]\n", "4:2: sandbox: table already defined at line 2")]
    [InlineData("[sandbox]\n[stop]\n[sandbox]\n", "4:2: sandbox: table already defined at line 2")]
    [InlineData("[sandbox.setenv]\n[sandbox]\n[sandbox]\n", "4:2: sandbox: table already defined at line 3")]
    public void A_table_header_given_twice_is_rejected(string toml, string expected)
        => Rejected(toml, expected);

    [Theory]
    [InlineData("sandbox.share-net = true\nsandbox.share-net = false\n", "3:1: sandbox.share-net: key defined twice (first at line 2)")]
    [InlineData("[sandbox]\nshare-net = true\n\"share-net\" = false\n", "4:1: sandbox.share-net: key defined twice (first at line 3)")]
    [InlineData("sandbox.setenv.A = \"1\"\nsandbox.setenv = { B = \"2\" }\n", "3:1: sandbox.setenv: key defined twice (first at line 2)")]
    [InlineData("sandbox.bind = [\"/a\"]\nsandbox.bind.from = \"/b\"\n", "3:1: sandbox.bind: already defined at line 2 as an array")]
    [InlineData("command.x = 1\n", "2:1: command: already defined at line 1 as a string")]
    public void A_key_redefined_through_dotted_keys_is_rejected(string toml, string expected)
        => Rejected(toml, expected);

    [Theory]
    [InlineData("sandbox = { share-net = true }\nsandbox.unshare-all = true\n", "3:1: sandbox: already defined at line 2 as an inline table, which cannot be extended")]
    [InlineData("sandbox = { share-net = true }\n[sandbox]\n", "3:2: sandbox: already defined at line 2 as an inline table, which cannot be extended")]
    [InlineData("sandbox = { setenv = { A = \"1\" }, setenv.B = \"2\" }\n", "2:35: sandbox.setenv: already defined at line 2 as an inline table, which cannot be extended")]
    [InlineData("[sandbox]\nsetenv = { A = \"1\" }\n[sandbox.setenv]\n", "4:2: sandbox.setenv: already defined at line 3 as an inline table, which cannot be extended")]
    public void An_inline_table_cannot_be_extended(string toml, string expected)
        => Rejected(toml, expected);

    [Theory]
    [InlineData("[command]\n", "2:2: command: already defined at line 1 as a string")]
    [InlineData("[command.x]\n", "2:2: command: already defined at line 1 as a string")]
    [InlineData("args = [\"a\"]\n[args]\n", "3:2: args: already defined at line 2 as an array")]
    public void A_value_cannot_be_reopened_as_a_table(string toml, string expected)
        => Rejected(toml, expected);

    [Theory]
    [InlineData("sandbox.share-net = true\n[sandbox]\n", "3:2: sandbox: already defined by dotted keys at line 2")]
    [InlineData("[sandbox.setenv]\nA = \"1\"\n[sandbox]\nsetenv.B = \"2\"\n", "5:1: sandbox.setenv: already defined by a [header] at line 2; dotted keys cannot extend it")]
    public void Headers_and_dotted_keys_do_not_define_the_same_table(string toml, string expected)
        => Rejected(toml, expected);

    [Fact]
    public void Arrays_of_tables_are_rejected_also_below_a_table()
    {
        var e = Toml.Error("", Command + "[sandbox]\n[[sandbox.bind]]\nfrom = \"/a\"\n");
        Assert.Equal("/etc/sandboxer/svc.toml:3:1: [[sandbox.bind]]: arrays of tables are not part of the profile format", e.Message);
    }

    [Fact]
    public void A_table_named_on_the_way_to_a_deeper_header_may_be_defined_later()
    {
        var argv = Toml.Compose("", Command + "[sandbox.setenv]\nA = \"1\"\n[sandbox]\nshare-net = true\n");
        Assert.Equal(["/usr/bin/bwrap", "--share-net", "--setenv", "A", "1", "/bin/d"], argv);
    }

    [Fact]
    public void A_header_may_add_a_table_below_one_made_by_dotted_keys()
    {
        var root = TomlTree.Parse("[a]\nb.c = 1\n[a.b.d]\ne = 2\n", "f.toml");
        var b = Assert.Single(Assert.Single(root.Entries).Value.Entries).Value;
        Assert.Equal(["c", "d"], b.Entries.Select(e => e.Key));
        Assert.Equal(2, Assert.Single(b.Entries[1].Value.Entries).Value.Integer);
    }

    [Fact]
    public void Locations_of_keys_and_values_survive_the_fold()
    {
        var root = TomlTree.Parse("a.b = 1\n[c]\n  d = [ 'x',\n  { e = true } ] # comment\n", "f.toml");
        var a = Assert.Single(root.Entries, e => e.Key == "a");
        Assert.Equal(new Location("f.toml", 1, 1), a.KeyLocation);
        var b = Assert.Single(a.Value.Entries);
        Assert.Equal((TomlKind.Integer, 1L, new Location("f.toml", 1, 7)), (b.Value.Kind, b.Value.Integer, b.Value.Location));
        var c = Assert.Single(root.Entries, e => e.Key == "c");
        Assert.Equal(new Location("f.toml", 2, 2), c.KeyLocation);
        var d = Assert.Single(c.Value.Entries);
        Assert.Equal(new Location("f.toml", 3, 3), d.KeyLocation);
        Assert.Equal(new Location("f.toml", 3, 7), d.Value.Location);
        Assert.Equal("x", d.Value.Items[0].String);
        var inline = d.Value.Items[1];
        Assert.Equal((TomlKind.Table, new Location("f.toml", 4, 3)), (inline.Kind, inline.Location));
        Assert.True(Assert.Single(inline.Entries).Value.Boolean);
    }

    [Theory]
    [InlineData("0x1F", 31)]
    [InlineData("0o17", 15)]
    [InlineData("0b101", 5)]
    [InlineData("-1_000", -1000)]
    [InlineData("+7", 7)]
    public void Integers_in_every_TOML_notation(string text, long expected)
    {
        var root = TomlTree.Parse("n = " + text + "\n", "f.toml");
        Assert.Equal(expected, Assert.Single(root.Entries).Value.Integer);
    }

    [Theory]
    [InlineData("\"a\\tb\"", "a\tb")]
    [InlineData("'C:\\x'", "C:\\x")]
    [InlineData("\"\"\"\nl1\nl2\"\"\"", "l1\nl2")]
    [InlineData("'''\nraw\\n'''", "raw\\n")]
    public void Strings_in_every_TOML_notation(string text, string expected)
    {
        var root = TomlTree.Parse("s = " + text + "\n", "f.toml");
        Assert.Equal(expected, Assert.Single(root.Entries).Value.String);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("inf")]
    [InlineData("1979-05-27")]
    [InlineData("1979-05-27T07:32:00Z")]
    [InlineData("07:32:00")]
    public void Other_TOML_types_parse_and_are_named_as_such(string text)
    {
        var e = Toml.Error("", Command + "[sandbox]\nuid = " + text + "\n");
        Assert.Equal("/etc/sandboxer/svc.toml:3:7: sandbox.uid: must be an integer, not a value of another type", e.Message);
    }

    [Theory]
    [InlineData("s = \"\\q\"\n", "1:7")]
    [InlineData("n = 99999999999999999999\n", "1:5")]
    [InlineData("a = 1 b = 2\n", "1:7")]
    [InlineData("a = [1,\n2\n", "3:1")]
    public void Syntax_errors_name_their_location(string toml, string at)
    {
        var e = Assert.Throws<SandboxerException>(() => TomlTree.Parse(toml, "f.toml"));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.StartsWith("f.toml:" + at + ": invalid TOML: ", e.Message);
    }

    [Fact]
    public void A_syntax_error_anywhere_comes_before_a_semantic_one()
    {
        var e = Assert.Throws<SandboxerException>(() => TomlTree.Parse("a = 1\na = 2\n\nb = [1,\n", "f.toml"));
        Assert.StartsWith("f.toml:5:1: invalid TOML: ", e.Message);
    }

    [Theory]
    [InlineData(64, null)]
    [InlineData(65, "f.toml:1:")]
    [InlineData(5000, "f.toml:1:")]
    public void Nesting_stops_at_Tomlyns_depth_limit_without_exhausting_the_stack(int arrays, string? error)
    {
        // Tomlyn counts the root table too: 63 arrays inside it reach its limit of 64.
        string toml = "a = " + new string('[', arrays - 1) + new string(']', arrays - 1) + "\n";
        if (error is null)
        {
            Assert.Equal(TomlKind.Array, Assert.Single(TomlTree.Parse(toml, "f.toml").Entries).Value.Kind);
            return;
        }
        var e = Assert.Throws<SandboxerException>(() => TomlTree.Parse(toml, "f.toml"));
        Assert.StartsWith(error, e.Message);
        Assert.Contains("invalid TOML: The maximum depth of 64", e.Message);
    }

    /// <summary>
    /// A table's keys are found through an index once it has more than a few: whichever key
    /// comes back, at whatever position, the duplicate is still caught and its first line named.
    /// </summary>
    [Theory]
    [InlineData(3, 0)]
    [InlineData(8, 7)]
    [InlineData(9, 8)]
    [InlineData(9, 0)]
    [InlineData(2000, 1234)]
    [InlineData(2000, 1999)]
    public void A_key_defined_twice_is_found_in_a_table_of_any_size(int keys, int repeated)
    {
        var text = new System.Text.StringBuilder("[sandbox.setenv]\n");
        for (int i = 0; i < keys; i++)
            text.Append($"V{i} = \"{i}\"\n");
        text.Append($"V{repeated} = \"again\"\n");
        Rejected(text.ToString(), $"{keys + 3}:1: sandbox.setenv.V{repeated}: key defined twice (first at line {repeated + 3})");
    }

    [Fact]
    public void A_large_table_keeps_its_keys_in_written_order()
    {
        var text = new System.Text.StringBuilder("x = { ");
        for (int i = 500; i > 0; i--)
            text.Append($"k{i} = {i}, ");
        text.Append("last = 0 }\n");
        var table = Assert.Single(TomlTree.Parse(text.ToString(), "f.toml").Entries).Value;
        Assert.Equal([.. Enumerable.Range(1, 500).Reverse().Select(i => $"k{i}"), "last"], table.Entries.Select(e => e.Key));
        Assert.Equal(Enumerable.Range(0, 501).Select(i => 500L - i), table.Entries.Select(e => e.Value.Integer));
    }

    /// <summary>Tomlyn's lexer throws ArgumentOutOfRangeException on these (build/fuzz.sh found them): a located profile error instead.</summary>
    [Theory]
    [InlineData("a = \"\\", "1:7")]
    [InlineData("x = 1\nsandbox = \"\"\"val\\", "2:18")]
    [InlineData("x = 1\n\"\\", "2:3")]
    [InlineData("V  = \"\"\"\\", "1:10")]
    [InlineData("a = \"\"\"val\\U000000", "1:19")]
    [InlineData("a = \"val\\u", "1:11")]
    public void A_text_that_ends_in_a_strings_backslash_is_a_located_error(string toml, string at)
    {
        var e = Assert.Throws<SandboxerException>(() => TomlTree.Parse(toml, "f.toml"));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Equal($"f.toml:{at}: invalid TOML: the text ends inside an escape sequence", e.Message);
    }
}
