namespace Sandboxer.Interop;

/// <summary>Signal names and numbers; x86-64 and arm64 share this numbering.</summary>
public static class Signals
{
    public const int Kill = 9;
    public const int Terminate = 15;

    private static readonly string[] Names =
    [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];

    /// <summary>Signals a daemon may be sent through the relay (KILL ends the whole sandbox instead).</summary>
    public static readonly int[] Relayed = [1, 2, 3, 10, 12, 14, 15, 28];

    /// <summary>"TERM", "SIGTERM", "term" or "15"; null if it names no signal.</summary>
    public static int? Parse(string text)
    {
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
            return number is > 0 and < 65 ? number : null;
        string name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        int index = Array.IndexOf(Names, name);
        return index > 0 ? index : null;
    }
}
