using System.Text;

namespace Sandboxer.Composition;

/// <summary>
/// POSIX sh quoting of raw bytes: what it writes, pasted into sh (dash and busybox ash
/// included), gives back the same argv. Bytes a terminal would act on (control characters, C1
/// controls, bidirectional overrides, bytes that are not UTF-8) never appear raw: they are
/// written as printf's octal escapes inside a quoted command substitution.
/// </summary>
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
        if (word.Length == 0)
        {
            line.AddRange("''"u8);
            return;
        }
        var run = new List<byte>();
        bool escaping = false;
        int at = 0;
        while (at < word.Length)
        {
            int length = Shown(word, at);
            bool escape = length == 0;
            // A command substitution drops trailing newlines: an escaped run ending in one takes the next byte in too.
            if (!escape && escaping && run[^1] == '\n')
            {
                run.Add(word[at++]);
                continue;
            }
            if (escape != escaping && run.Count > 0)
                Write(line, run, escaping);
            escaping = escape;
            run.AddRange(word.AsSpan(at, escape ? 1 : length));
            at += escape ? 1 : length;
        }
        // Newlines that end the word stay literal: a terminal takes them for nothing but a new line.
        int text = run.Count;
        while (escaping && text > 0 && run[text - 1] == '\n')
            text--;
        var newlines = run.GetRange(text, run.Count - text);
        run.RemoveRange(text, run.Count - text);
        Write(line, run, escaping);
        Write(line, newlines, escape: false);
    }

    private static void Write(List<byte> line, List<byte> run, bool escape)
    {
        if (run.Count == 0)
            return;
        if (escape)
        {
            // Inside "$(printf '...')" only octal escapes: no %, no quote, nothing sh expands.
            line.AddRange("\"$(printf '"u8);
            foreach (byte b in run)
                line.AddRange(Encoding.ASCII.GetBytes("\\" + Convert.ToString(b, 8).PadLeft(3, '0')));
            line.AddRange("')\""u8);
        }
        else
        {
            // Inside single quotes every byte but ' is literal; ' itself is closed, escaped, reopened.
            line.Add((byte)'\'');
            foreach (byte b in run)
            {
                if (b == '\'')
                    line.AddRange("'\\''"u8);
                else
                    line.Add(b);
            }
            line.Add((byte)'\'');
        }
        run.Clear();
    }

    /// <summary>
    /// The length of the UTF-8 character at <paramref name="at"/> if a terminal shows it as
    /// text; 0 if it must be escaped (a control, a bidi override, or a byte that is not UTF-8).
    /// </summary>
    private static int Shown(byte[] word, int at)
    {
        if (System.Buffers.OperationStatus.Done != Rune.DecodeFromUtf8(word.AsSpan(at), out var rune, out int length))
            return 0;
        if (Rune.IsControl(rune) || rune.Value is >= 0x202a and <= 0x202e or >= 0x2066 and <= 0x2069)
            return 0;
        return length;
    }

    private static bool IsSafe(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        || "_@%+=:,./-"u8.Contains(b);
}
