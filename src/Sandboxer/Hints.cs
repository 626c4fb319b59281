namespace Sandboxer;

/// <summary>"Did you mean": the known word closest to a typo, for unknown keys, capabilities and commands.</summary>
public static class Hints
{
    /// <summary>The known word closest to <paramref name="word"/>, if it is close enough to be what was meant.</summary>
    public static string? Nearest(string word, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = Math.Max(2, word.Length / 3) + 1;
        foreach (var candidate in known)
        {
            // A cut-short name (CAP_NET_BIND) is nearer than any edit distance says.
            int distance = candidate.StartsWith(word, StringComparison.Ordinal) ? 1 : EditDistance(word, candidate);
            if (distance < bestDistance)
                (best, bestDistance) = (candidate, distance);
        }
        return best;
    }

    /// <summary>" (did you mean "x"?)", or nothing.</summary>
    public static string DidYouMean(string word, IEnumerable<string> known) =>
        Nearest(word, known) is { } near ? $" (did you mean \"{near}\"?)" : "";

    /// <summary>Optimal string alignment distance: a swap of two neighbours counts as one edit.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
