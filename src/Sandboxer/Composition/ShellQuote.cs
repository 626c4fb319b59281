namespace Sandboxer.Composition;

/// <summary>POSIX sh quoting of raw bytes: what it writes, pasted into sh, gives back the same argv.</summary>
public static class ShellQuote
{
    public static byte[] Line(IReadOnlyList<byte[]> argv)
    {
        var line = new List<byte>(argv.Count * 16);
        for (int i = 0; i < argv.Count; i++)
        {
            if (i > 0)
                line.Add((byte)' ');
            Append(line, argv[i]);
        }
        line.Add((byte)'\n');
        return [.. line];
    }

    private static void Append(List<byte> line, byte[] word)
    {
        if (word.Length > 0 && Array.TrueForAll(word, IsSafe))
        {
            line.AddRange(word);
            return;
        }
        // Inside single quotes every byte but ' is literal; ' itself is closed, escaped, reopened.
        line.Add((byte)'\'');
        foreach (byte b in word)
        {
            if (b == '\'')
                line.AddRange("'\\''"u8);
            else
                line.Add(b);
        }
        line.Add((byte)'\'');
    }

    private static bool IsSafe(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        || "_@%+=:,./-"u8.Contains(b);
}
