namespace Sandboxer.Cli;

public enum LogLevel { Trace, Debug, Information, Warning, Error, None }

/// <summary>
/// Logs to stderr, one line per message, written at once: nothing is left buffered when the
/// process becomes bwrap. Off unless SANDBOXER_LOG names a level. Hand-written rather than
/// Microsoft.Extensions.Logging: that library's factory and filters cost 270 KB of binary,
/// all of it rehydrated and paged in on every start, logging on or off, for two messages.
/// </summary>
public sealed class StderrLog
{
    public const string Variable = "SANDBOXER_LOG";

    private readonly LogLevel minimum;

    private StderrLog(LogLevel minimum) => this.minimum = minimum;

    public static StderrLog Create(string? level)
    {
        if (string.IsNullOrEmpty(level))
            return new StderrLog(LogLevel.None);
        return new StderrLog(level.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "off" or "none" => LogLevel.None,
            _ => throw SandboxerException.Usage($"{Variable}={level}: not a level (trace, debug, info, warning, error, off)"),
        });
    }

    public bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= minimum;

    public void Write(LogLevel level, string message)
    {
        if (!IsEnabled(level))
            return;
        string name = level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            _ => "error",
        };
        Console.Error.Write($"sandboxer: {name}: {message}\n");
        Console.Error.Flush();
    }
}

/// <summary>The messages, each built only when its level is on.</summary>
internal static class Log
{
    public static void ProfileLoaded(StderrLog log, string name, string directory)
    {
        if (log.IsEnabled(LogLevel.Debug))
            log.Write(LogLevel.Debug, $"profile {name} from {directory}");
    }

    public static void Exec(StderrLog log, string command) => log.Write(LogLevel.Debug, $"exec {command}");
}
