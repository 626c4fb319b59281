using Microsoft.Extensions.Logging;
using Sandboxer.Cli;

namespace Sandboxer.Tests.Cli;

public class StderrLoggerTests
{
    [Theory]
    [InlineData(null, LogLevel.Error, false)]
    [InlineData("", LogLevel.Error, false)]
    [InlineData("off", LogLevel.Error, false)]
    [InlineData("none", LogLevel.Error, false)]
    [InlineData("error", LogLevel.Error, true)]
    [InlineData("error", LogLevel.Warning, false)]
    [InlineData("WARN", LogLevel.Warning, true)]
    [InlineData("info", LogLevel.Debug, false)]
    [InlineData("information", LogLevel.Information, true)]
    [InlineData("debug", LogLevel.Debug, true)]
    [InlineData("debug", LogLevel.Trace, false)]
    [InlineData("trace", LogLevel.Trace, true)]
    [InlineData("trace", LogLevel.None, false)]
    public void A_level_enables_itself_and_everything_more_severe(string? variable, LogLevel message, bool enabled)
    {
        Assert.Equal(enabled, StderrLoggerProvider.Create(variable).IsEnabled(message));
    }

    [Fact]
    public void An_unknown_level_is_a_usage_error_naming_the_levels()
    {
        var e = Assert.Throws<SandboxerException>(() => StderrLoggerProvider.Create("loud"));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Equal("SANDBOXER_LOG=loud: not a level (trace, debug, info, warning, error, off)", e.Message);
    }
}
