using System.Globalization;
using System.Text;

namespace Sandboxer.Audit;

/// <summary>audit's two outputs, from the same reports: an aligned table for people, JSON for machines.</summary>
public static class AuditOutput
{
    private const string Reset = "\u001b[0m", Bold = "\u001b[1m", Red = "\u001b[31m", Yellow = "\u001b[33m", Green = "\u001b[32m";

    /// <summary>
    /// One header line per profile ("tor  5.5/10  /etc/sandboxer/tor.toml"), then one line per
    /// exposure: weight, key, where, why; columns aligned over all profiles. Colour only when
    /// <paramref name="colour"/> (a terminal, and no NO_COLOR).
    /// </summary>
    public static string Table(IReadOnlyList<ExposureReport> reports, bool colour)
    {
        var text = new StringBuilder();
        int nameWidth = reports.Max(r => r.Name.Length);
        var rows = reports.SelectMany(r => r.Exposures).ToList();
        int keyWidth = rows.Count == 0 ? 0 : rows.Max(e => e.Key.Length);
        int whereWidth = rows.Count == 0 ? 0 : rows.Max(e => Where(e).Length);
        foreach (var report in reports)
        {
            string score = $"{Number(report.Score),4}/10";
            if (colour)
                score = (report.Score >= 6 ? Red : report.Score >= 3 ? Yellow : Green) + Bold + score + Reset;
            // Names, paths and reasons come from files: no control character reaches the terminal.
            string name = Messages.Visible(report.Name).PadRight(nameWidth);
            text.Append(colour ? Bold + name + Reset : name)
                .Append("  ").Append(score).Append("  ").Append(Messages.Visible(report.File)).Append('\n');
            foreach (var e in report.Exposures)
            {
                text.Append("  ").Append($"{Number(e.Weight),4}").Append("  ").Append(Messages.Visible(e.Key).PadRight(keyWidth))
                    .Append("  ").Append(Messages.Visible(Where(e)).PadRight(whereWidth)).Append("  ").Append(Messages.Visible(e.Reason)).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The documented schema (README, "audit --json"):
    /// { "schema": 1, "maximum": 10, "profiles": [ { "name", "file", "score",
    ///   "exposures": [ { "weight", "key", "file", "line", "column", "reason" } ] } ] },
    /// profiles ranked as in the table; file, line and column are null for something left out.
    /// </summary>
    /// <remarks>
    /// Written by hand: System.Text.Json's writer and its encoders would add about a megabyte to a
    /// binary that sits in front of every service start, for one command's output.
    /// </remarks>
    public static byte[] Json(IReadOnlyList<ExposureReport> reports)
    {
        var json = new StringBuilder();
        json.Append("{\n  \"schema\": 1,\n  \"maximum\": ").Append(JsonNumber(ExposureReport.Maximum)).Append(",\n  \"profiles\": [");
        for (int p = 0; p < reports.Count; p++)
        {
            var report = reports[p];
            json.Append(p == 0 ? "\n" : ",\n").Append("    {\n");
            json.Append("      \"name\": ").Append(JsonString(report.Name)).Append(",\n");
            json.Append("      \"file\": ").Append(JsonString(report.File)).Append(",\n");
            json.Append("      \"score\": ").Append(JsonNumber(report.Score)).Append(",\n");
            json.Append("      \"exposures\": [");
            for (int i = 0; i < report.Exposures.Count; i++)
            {
                var e = report.Exposures[i];
                json.Append(i == 0 ? "\n" : ",\n").Append("        {\n");
                json.Append("          \"weight\": ").Append(JsonNumber(e.Weight)).Append(",\n");
                json.Append("          \"key\": ").Append(JsonString(e.Key)).Append(",\n");
                json.Append("          \"file\": ").Append(e.At is { } at ? JsonString(at.File) : "null").Append(",\n");
                json.Append("          \"line\": ").Append(e.At is { } l ? JsonNumber(l.Line) : "null").Append(",\n");
                json.Append("          \"column\": ").Append(e.At is { } c ? JsonNumber(c.Column) : "null").Append(",\n");
                json.Append("          \"reason\": ").Append(JsonString(e.Reason)).Append("\n        }");
            }
            json.Append(report.Exposures.Count == 0 ? "]\n    }" : "\n      ]\n    }");
        }
        json.Append(reports.Count == 0 ? "]\n}\n" : "\n  ]\n}\n");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>A JSON string (RFC 8259): quote, backslash and control characters escaped, the rest as it is.</summary>
    public static string JsonString(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\t': quoted.Append("\\t"); break;
                case < ' ' or '\u007f': quoted.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: quoted.Append(ch); break;
            }
        }
        return quoted.Append('"').ToString();
    }

    private static string JsonNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Where(Exposure e) => e.At is { } at ? $"{Path.GetFileName(at.File)}:{at.Line}:{at.Column}" : "(not set)";

    private static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
