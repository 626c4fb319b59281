namespace Sandboxer.Interop;

/// <summary>The errno values the code tests for (the same on every Linux architecture here).</summary>
internal static class Errno
{
    public const int NotPermitted = 1;
    public const int NoEntry = 2;
    public const int NoSuchProcess = 3;
    public const int NoDevice = 6;
    public const int AccessDenied = 13;
    public const int Fault = 14;
    public const int Exists = 17;
    public const int NotDirectory = 20;
    public const int NoSpace = 28;
    public const int QuotaExceeded = 122;
    public const int NameTooLong = 36;
    public const int TooManyLinks = 40;
    public const int BadDescriptor = 9;
    public const int Invalid = 22;
    public const int WouldBlock = 11;
    public const int Interrupted = 4;
    public const int NoSystemCall = 38;
    public const int NotSupported = 95;
    public const int ConnectionRefused = 111;
}
