using System.Text;

namespace Sandboxer;

/// <summary>
/// Text for a terminal. Messages quote what users and files gave (keys, names, paths), and a
/// control character there (an ANSI escape, a carriage return) must not act on the terminal
/// of whoever reads the error: each is shown as an escape instead.
/// </summary>
public static class Messages
{
    public static string Visible(string text)
    {
        int i = 0;
        while (i < text.Length && !char.IsControl(text[i]) && !IsFormatting(text[i]))
            i++;
        if (i == text.Length)
            return text;
        var shown = new StringBuilder(text.Length + 8).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\t')
                shown.Append("\\t");
            else if (c == '\n')
                shown.Append("\\n");
            else if (c == '\r')
                shown.Append("\\r");
            else if (c < 0x100 && char.IsControl(c))
                shown.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else if (char.IsControl(c) || IsFormatting(c))
                shown.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else
                shown.Append(c);
        }
        return shown.ToString();
    }

    /// <summary>Bidirectional overrides and isolates reorder what a terminal shows (the "Trojan Source" trick).</summary>
    private static bool IsFormatting(char c) => c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069';
}
