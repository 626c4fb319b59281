namespace Sandboxer;

/// <summary>sysexits(3) codes, plus the shell's 126/127 for exec failures.</summary>
public static class ExitCodes
{
    public const int Usage = 64;
    public const int DataError = 65;
    public const int Unavailable = 69;
    public const int Software = 70;
    public const int CannotCreate = 73;
    public const int TempFail = 75;
    public const int NoPermission = 77;
    public const int Config = 78;
    public const int CannotExecute = 126;
    public const int NotFound = 127;
}

/// <summary>
/// The one error type: a message for the user and the exit code that goes with it.
/// Caught only in Main, printed as "sandboxer: {Message}".
/// </summary>
public sealed class SandboxerException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>For a profile error at a key: where, which key and why, apart, so that check can list it as a finding.</summary>
    public Profiles.Location? At { get; init; }
    public string? Key { get; init; }
    public string? Why { get; init; }

    public static SandboxerException Usage(string message) => new(ExitCodes.Usage, message);

    public static SandboxerException Config(string message) => new(ExitCodes.Config, message);

    /// <summary>
    /// "path: reason" for a failed file operation. .NET's own messages are resource keys in this
    /// trimmed binary; on Unix an IOException's HResult is the errno, which strerror can name.
    /// </summary>
    public static SandboxerException Io(string path, Exception e, int exitCode = ExitCodes.Config)
    {
        string reason = e switch
        {
            UnauthorizedAccessException => "Permission denied",
            FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
            IOException when e.HResult is > 0 and < 4096 => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.HResult),
            _ => e.GetType().Name,
        };
        return new(exitCode, $"{path}: {reason}");
    }
}
