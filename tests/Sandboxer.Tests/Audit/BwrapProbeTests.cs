using Sandboxer.Audit;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Audit;

public class BwrapProbeTests
{
    [Theory]
    [InlineData("bubblewrap 0.8.0\n", "0.8.0")]
    [InlineData("bubblewrap 0.11\n", "0.11.0")]
    [InlineData("bwrap 0.8.0\n", null)]
    [InlineData("", null)]
    public void The_release_is_read_from_the_first_line(string output, string? release)
    {
        Assert.Equal(release is null ? null : Version.Parse(release), BwrapProbe.Parse(output));
    }

    [Fact]
    public void The_installed_bwrap_answers_with_its_release()
    {
        Assert.Equal((Stack.Bwrap, (string?)null), BwrapProbe.Ask(Published.Bwrap));
    }

    [Fact]
    public void A_bwrap_that_is_not_there_is_a_problem_not_a_release()
    {
        var (version, problem) = BwrapProbe.Ask("/nonexistent/bwrap");
        Assert.Null(version);
        Assert.Equal("cannot run /nonexistent/bwrap: No such file or directory", problem);
    }
}
