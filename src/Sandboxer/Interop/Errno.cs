namespace Sandboxer.Interop;

/// <summary>The errno values the code tests for (the same on every Linux architecture here).</summary>
internal static class Errno
{
    public const int NoEntry = 2;
    public const int BadDescriptor = 9;
    public const int Invalid = 22;
    public const int WouldBlock = 11;
    public const int Interrupted = 4;
    public const int NoSystemCall = 38;
}
