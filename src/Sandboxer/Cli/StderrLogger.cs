using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sandboxer.Cli;

/// <summary>
/// Logs to stderr, one line per message, written at once: nothing is left buffered when the
/// process becomes bwrap. Off unless SANDBOXER_LOG names a level, and then costs nothing more
/// than a null logger on the start path.
/// </summary>
public sealed class StderrLoggerProvider(TextWriter writer) : ILoggerProvider
{
    public const string Variable = "SANDBOXER_LOG";

    public static ILogger Create(string? level)
    {
        if (string.IsNullOrEmpty(level))
            return NullLogger.Instance;
        LogLevel minimum = level.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "off" or "none" => LogLevel.None,
            _ => throw SandboxerException.Usage($"{Variable}={level}: not a level (trace, debug, info, warning, error, off)"),
        };
        var factory = new LoggerFactory([new StderrLoggerProvider(Console.Error)], new LoggerFilterOptions { MinLevel = minimum });
        return factory.CreateLogger("sandboxer");
    }

    public ILogger CreateLogger(string categoryName) => new Logger(writer);

    public void Dispose() { }

    private sealed class Logger(TextWriter writer) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                _ => "error",
            };
            writer.Write($"sandboxer: {level}: {Messages.Visible(formatter(state, exception))}\n");
            writer.Flush();
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "profile {Name} from {Directory}")]
    public static partial void ProfileLoaded(ILogger logger, string name, string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "exec {Command}")]
    public static partial void Exec(ILogger logger, string command);
}
