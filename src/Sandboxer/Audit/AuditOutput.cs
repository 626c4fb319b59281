using System.Globalization;
using System.Text;
using System.Text.Json;

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
    /// <remarks>The relaxed encoder leaves ' and &lt; as they are (this is not HTML); JSON's own escapes still apply.</remarks>
    public static byte[] Json(IReadOnlyList<ExposureReport> reports)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("schema", 1);
            json.WriteNumber("maximum", ExposureReport.Maximum);
            json.WriteStartArray("profiles");
            foreach (var report in reports)
            {
                json.WriteStartObject();
                json.WriteString("name", report.Name);
                json.WriteString("file", report.File);
                json.WriteNumber("score", report.Score);
                json.WriteStartArray("exposures");
                foreach (var e in report.Exposures)
                {
                    json.WriteStartObject();
                    json.WriteNumber("weight", e.Weight);
                    json.WriteString("key", e.Key);
                    if (e.At is { } at)
                    {
                        json.WriteString("file", at.File);
                        json.WriteNumber("line", at.Line);
                        json.WriteNumber("column", at.Column);
                    }
                    else
                    {
                        json.WriteNull("file");
                        json.WriteNull("line");
                        json.WriteNull("column");
                    }
                    json.WriteString("reason", e.Reason);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static string Where(Exposure e) => e.At is { } at ? $"{Path.GetFileName(at.File)}:{at.Line}:{at.Column}" : "(not set)";

    private static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
