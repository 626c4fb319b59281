using Sandboxer.Import;

namespace Sandboxer.Tests.Import;

public class ShellReaderTests
{
    private static (ShellScript? Script, Finding? Refused) Read(string text, Dictionary<string, string>? others = null) =>
        ShellReader.Read("/s/bwrap-svc", path => path == "/s/bwrap-svc" ? text
            : others?.GetValueOrDefault(path) ?? throw SandboxerException.Config($"{path}: No such file or directory"));

    private static ShellCommand Exec(string text, Dictionary<string, string>? others = null)
    {
        var (script, refused) = Read(text, others);
        Assert.Null(refused);
        return script!.Exec!;
    }

    [Fact]
    public void Unquoted_variables_split_into_words_and_quoted_ones_do_not()
    {
        var exec = Exec("A='--tmpfs /tmp'\nB=\"x  y\"\nexec bwrap $A \"$B\" ${A} /bin/d \"$@\"\n");
        Assert.Equal(["--tmpfs", "/tmp", "x  y", "--tmpfs", "/tmp", "/bin/d"], exec.Args.Select(w => w.Text));
        Assert.True(exec.PassesCallerArgs);
    }

    [Fact]
    public void Continuations_comments_escapes_and_empty_words_read_as_sh_reads_them()
    {
        var (script, refused) = Read("#!/bin/sh\n# why\nexec bwrap \\\n  --setenv A '' \\\n  --hostname h\\ 1 \\\n  /bin/d # trailing\n");
        Assert.Null(refused);
        Assert.Equal(["--setenv", "A", "", "--hostname", "h 1", "/bin/d"], script!.Exec!.Args.Select(w => w.Text));
        Assert.False(script.Exec.PassesCallerArgs);
        Assert.Equal(["why", "trailing"], script.Comments.Select(c => c.Text));
        Assert.Equal(5, script.Exec.Args[3].At.Line);
    }

    [Fact]
    public void A_sourced_file_gives_its_variables_and_each_word_keeps_the_file_and_line_it_was_written_on()
    {
        var defaults = new Dictionary<string, string> { ["/s/defaults"] = "D=\"\\\n--unshare-all \\\n--clearenv\"\n" };
        var exec = Exec(". /s/defaults\nexec bwrap $D --share-net /bin/d \"$@\"\n", defaults);
        Assert.Equal([new Origin("/s/defaults", 2), new Origin("/s/defaults", 3), new Origin("/s/bwrap-svc", 2)], exec.Args.Take(3).Select(w => w.At));
    }

    [Theory]
    [InlineData("X=$(id)\n", 1, "command substitution")]
    [InlineData("X=`id`\n", 1, "command substitution")]
    [InlineData("exec bwrap --hostname \"$(hostname)\" /bin/d\n", 1, "command substitution")]
    [InlineData("eval exec bwrap /bin/d\n", 1, "eval runs text")]
    [InlineData("for a in 1; do :; done\n", 1, "loops are not read")]
    [InlineData("while true; do :; done\n", 1, "loops are not read")]
    [InlineData("if true; then :; fi\n", 1, "conditionals")]
    [InlineData("\nexec bwrap /bin/d \"$@\" > /dev/null\n", 2, "redirections")]
    [InlineData("exec bwrap /bin/d | cat\n", 1, "pipelines")]
    [InlineData("exec bwrap --ro-bind /lib* /lib /bin/d\n", 1, "filename pattern")]
    [InlineData("exec bwrap $UNSET /bin/d\n", 1, "$UNSET is not set")]
    [InlineData("exec bwrap ${X:-a} /bin/d\n", 1, "only ${NAME} is read")]
    [InlineData("exec bwrap /bin/d $@\n", 1, "only \"$@\"")]
    [InlineData("exec bwrap /bin/d \"$1\"\n", 1, "positional")]
    [InlineData("exec bwrap /bin/d \"$@\" x\n", 1, "must be the last word")]
    [InlineData("exec bwrap /bin/d\nrm -rf /\n", 2, "nothing may follow exec")]
    [InlineData("rm -rf /\n", 1, "not a command import reads")]
    [InlineData("export A=1\n", 1, "changes the environment")]
    [InlineData(". relative\n", 1, "relative name")]
    [InlineData(". /s/missing\n", 1, "No such file")]
    [InlineData("set -- a b\n", 1, "replace \"$@\"")]
    [InlineData("X='open\n", 1, "never closed")]
    public void Constructs_that_text_cannot_show_are_refused_at_their_line(string text, int line, string why)
    {
        var (script, refused) = Read(text);
        Assert.Null(script);
        Assert.NotNull(refused);
        Assert.Equal(new Origin("/s/bwrap-svc", line), refused.At);
        Assert.Contains(why, refused.Message);
    }

    [Fact]
    public void Set_options_and_a_plain_bwrap_as_the_last_command_are_read()
    {
        var exec = Exec("set -eu\nbwrap --unshare-all /bin/d \"$@\"\n");
        Assert.Equal("bwrap", exec.Program.Text);
    }
}
