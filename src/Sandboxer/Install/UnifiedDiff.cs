using System.Text;

namespace Sandboxer.Install;

/// <summary>The change between two texts as `diff -u` prints it, three lines of context; init scripts are small, so a plain LCS table does.</summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    /// <returns>The diff, or "" when the texts are the same.</returns>
    public static string Of(string before, string after, string beforeName, string afterName)
    {
        if (before == after)
            return "";
        var a = Lines(before);
        var b = Lines(after);
        var edits = Edits(a, b);
        var text = new StringBuilder($"--- {beforeName}\n+++ {afterName}\n");
        int i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }
            // A hunk: from Context lines before this change to Context lines after the last change
            // that is no more than 2 * Context unchanged lines from the one before it.
            int start = Math.Max(0, i - Context);
            int end = i;
            while (true)
            {
                while (end < edits.Count && edits[end].Kind != ' ')
                    end++;
                int next = end;
                while (next < edits.Count && edits[next].Kind == ' ')
                    next++;
                if (next < edits.Count && next - end <= 2 * Context)
                    end = next;
                else
                    break;
            }
            end = Math.Min(edits.Count, end + Context);
            var hunk = edits.GetRange(start, end - start);
            int aStart = edits[start].A, bStart = edits[start].B;
            int aCount = hunk.Count(e => e.Kind != '+'), bCount = hunk.Count(e => e.Kind != '-');
            text.Append($"@@ -{Range(aStart, aCount)} +{Range(bStart, bCount)} @@\n");
            foreach (var edit in hunk)
                text.Append(edit.Kind).Append(edit.Kind == '+' ? b[edit.B] : a[edit.A]).Append('\n');
            i = end;
        }
        return text.ToString();
    }

    /// <summary>diff's line numbers: 1-based, and an empty range is named by the line before it.</summary>
    private static string Range(int start, int count) => count == 1 ? $"{start + 1}" : $"{(count == 0 ? start : start + 1)},{count}";

    private static List<string> Lines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>One entry per line of the result: ' ' kept, '-' removed, '+' added, with where each side stands.</summary>
    private readonly record struct Edit(char Kind, int A, int B);

    private static List<Edit> Edits(List<string> a, List<string> b)
    {
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (int i = a.Count - 1; i >= 0; i--)
        {
            for (int j = b.Count - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        }
        var edits = new List<Edit>(a.Count + b.Count);
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
                edits.Add(new Edit(' ', x++, y++));
            else if (y < b.Count && (x == a.Count || lcs[x, y + 1] >= lcs[x + 1, y]))
                edits.Add(new Edit('+', x, y++));
            else
                edits.Add(new Edit('-', x++, y));
        }
        // diff prints a change's removals before its additions.
        for (int k = 1; k < edits.Count; k++)
        {
            int m = k;
            while (m > 0 && edits[m].Kind == '-' && edits[m - 1].Kind == '+')
            {
                (edits[m - 1], edits[m]) = (edits[m], edits[m - 1]);
                m--;
            }
        }
        // Where each side stands, counted again in the new order.
        int ai = 0, bi = 0;
        for (int k = 0; k < edits.Count; k++)
        {
            char kind = edits[k].Kind;
            edits[k] = new Edit(kind, ai, bi);
            if (kind != '+')
                ai++;
            if (kind != '-')
                bi++;
        }
        return edits;
    }
}
