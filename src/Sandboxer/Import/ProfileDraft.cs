using System.Globalization;
using System.Text;

namespace Sandboxer.Import;

/// <summary>
/// A profile being written: top-level keys, then [sandbox] keys in the order the script first
/// used them, as TOML text. Values arrive already rendered (<see cref="String"/>, <see cref="Table"/>).
/// </summary>
public sealed class ProfileDraft
{
    private readonly List<string> header = [];
    private readonly List<(string Key, string Value)> topLevel = [];
    private readonly List<string> order = [];
    private readonly Dictionary<string, string> scalars = [];
    private readonly Dictionary<string, List<string>> lists = [];
    private readonly List<(string Name, string Value)> environment = [];

    public void Comment(string line) => header.Add(line);

    public void Top(string key, string value) => topLevel.Add((key, value));

    public bool IsEmpty => order.Count == 0 && topLevel.Count == 0;

    /// <summary>A flag or a single value: the last one given wins, as in bwrap.</summary>
    public void Set(string key, string value)
    {
        Use(key);
        scalars[key] = value;
    }

    public void Append(string key, string value)
    {
        Use(key);
        if (!lists.TryGetValue(key, out var list))
            lists[key] = list = [];
        list.Add(value);
    }

    public void SetEnvironment(string name, string value)
    {
        Use("setenv");
        environment.RemoveAll(e => e.Name == name);
        environment.Add((name, value));
    }

    private void Use(string key)
    {
        if (!order.Contains(key))
            order.Add(key);
    }

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var line in header)
            text.Append(line.Length == 0 ? "#" : "# " + line).Append('\n');
        foreach (var (key, value) in topLevel)
            text.Append(key).Append(" = ").Append(value).Append('\n');
        if (order.Count == 0)
            return text.ToString();
        if (text.Length > 0)
            text.Append('\n');
        text.Append("[sandbox]\n");
        foreach (var key in order)
        {
            text.Append(key).Append(" = ");
            if (key == "setenv")
                text.Append(Table(environment.Select(e => (Key(e.Name), String(e.Value)))));
            else if (scalars.TryGetValue(key, out var scalar))
                text.Append(scalar);
            else
                text.Append(List(lists[key]));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A short array on one line, a longer one an element a line, as the shipped profiles are written.</summary>
    public static string List(IReadOnlyList<string> items)
    {
        string oneLine = "[" + string.Join(", ", items) + "]";
        if (items.Count < 2 || oneLine.Length <= 80)
            return oneLine;
        return "[\n" + string.Concat(items.Select(i => "    " + i + ",\n")) + "]";
    }

    public static string Table(IEnumerable<(string Key, string Value)> fields) =>
        "{ " + string.Join(", ", fields.Select(f => f.Key + " = " + f.Value)) + " }";

    /// <summary>A TOML basic string: quotes, backslashes and control characters escaped.</summary>
    public static string String(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                        text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        text.Append(c);
                    break;
            }
        }
        return text.Append('"').ToString();
    }

    /// <summary>A bare key when TOML allows one, else a quoted one.</summary>
    public static string Key(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : String(key);
}
