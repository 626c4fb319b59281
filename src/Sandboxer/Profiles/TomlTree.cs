using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Sandboxer.Profiles;

/// <summary>Where a key or value stands in a profile: 1-based line and column.</summary>
public readonly record struct Location(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

public enum TomlKind { Table, Array, String, Boolean, Integer, Other }

/// <summary>
/// A TOML value with its location. TOML spreads one table over dotted keys, [headers] and
/// inline tables; the tree folds them so the profile reader sees each table once and can
/// name the line of every key.
/// </summary>
public sealed class TomlNode
{
    public required TomlKind Kind { get; init; }
    public required Location Location { get; init; }
    public string String { get; init; } = "";
    public bool Boolean { get; init; }
    public long Integer { get; init; }
    // Made on first use: most nodes are scalars, and two empty lists each add up at 500 mounts.
    public List<TomlNode> Items => _items ??= [];
    public List<TomlEntry> Entries => _entries ??= [];
    private List<TomlNode>? _items;
    private List<TomlEntry>? _entries;
    // A table's keys by name, made once it outgrows a scan: TomlBuilder looks up every key it
    // adds, and a scan made 20,000 setenv entries cost 25 times 2,000.
    private Dictionary<string, int>? _index;
    private const int ScanLimit = 8;
    /// <summary>How a table was made: whether a header or dotted key may reopen it (TOML's rules).</summary>
    internal TableOrigin Origin { get; set; }
    /// <summary>Where a table was defined: its [header] once one names it, else where it was made.</summary>
    internal Location DefinedAt { get; set; }

    /// <summary>Adds a key to a table (the builder has checked it is new).</summary>
    internal void Add(TomlEntry entry)
    {
        var entries = Entries;
        if (_index is not null)
            _index[entry.Key] = entries.Count;
        else if (entries.Count == ScanLimit)
        {
            _index = new Dictionary<string, int>(2 * ScanLimit);
            for (int i = 0; i < entries.Count; i++)
                _index[entries[i].Key] = i;
            _index[entry.Key] = entries.Count;
        }
        entries.Add(entry);
    }

    /// <summary>A key of a table built by <see cref="Add"/>, in constant time.</summary>
    internal TomlEntry? Find(string key)
    {
        if (_index is not null)
            return _index.TryGetValue(key, out int i) ? _entries![i] : null;
        if (_entries is null)
            return null;
        foreach (var entry in _entries)
        {
            if (entry.Key == key)
                return entry;
        }
        return null;
    }

    public string KindName => Kind switch
    {
        TomlKind.Table => "a table",
        TomlKind.Array => "an array",
        TomlKind.String => "a string",
        TomlKind.Boolean => "a boolean",
        TomlKind.Integer => "an integer",
        _ => "a value of another type",
    };
}

public readonly record struct TomlEntry(string Key, Location KeyLocation, TomlNode Value);

public static class TomlTree
{
    private static readonly TomlParserOptions Tolerant = new() { Mode = TomlParserMode.Tolerant };

    /// <summary>Parses a profile's text; syntax and structure errors become a configuration error at their location.</summary>
    public static TomlNode Parse(string text, string file) => new TomlBuilder(text, file).Document();

    /// <summary>
    /// Tomlyn's streaming parser decides what is valid TOML syntax and words the error. It
    /// allocates a few KB where its syntax tree took over a MB, but it does not build a tree
    /// and leaves the semantic checks to <see cref="TomlBuilder"/>, which calls this only
    /// once it has found an error.
    /// </summary>
    /// <param name="at">Where to report an error Tomlyn gives without a location (too deep a dotted key).</param>
    internal static void CheckSyntax(string text, string file, Location at)
    {
        var parser = TomlParser.Create(text, Tolerant);
        try
        {
            while (parser.MoveNext())
            {
            }
        }
        catch (ArgumentOutOfRangeException) when (EndsInEscape(text))
        {
            throw EndedInEscape(text, file);
        }
        catch (TomlException e)
        {
            throw e.Diagnostics is { Count: > 0 } diagnostics
                ? Invalid(file, diagnostics)
                : SandboxerException.Config($"{at}: invalid TOML: {e.Message}");
        }
        if (parser.HasErrors)
            throw Invalid(file, parser.Diagnostics);
    }

    /// <summary>
    /// Tomlyn's lexer throws ArgumentOutOfRangeException, wording its own error, when the text
    /// ends inside an escape sequence of a string or quoted key ("\\", "\\u00", "\\U0000";
    /// build/fuzz.sh found them): the profile error for that, at the end of the text.
    /// </summary>
    internal static bool EndsInEscape(string text)
    {
        int backslash = text.LastIndexOf('\\');
        if (backslash < 0)
            return false;
        var rest = text.AsSpan(backslash + 1);
        if (rest.Length > 0 && rest[0] is 'u' or 'U' or 'x')
            rest = rest[1..];
        return !rest.ContainsAnyExcept("0123456789abcdefABCDEF");
    }

    internal static SandboxerException EndedInEscape(string text, string file)
    {
        int line = 1 + text.AsSpan().Count('\n');
        int column = text.Length - (text.LastIndexOf('\n') + 1) + 1;
        return SandboxerException.Config($"{file}:{line}:{column}: invalid TOML: the text ends inside an escape sequence");
    }

    private static SandboxerException Invalid(string file, IEnumerable<DiagnosticMessage> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                var start = diagnostic.Span.Start;
                return SandboxerException.Config($"{file}:{start.Line + 1}:{start.Column + 1}: invalid TOML: {diagnostic.Message}");
            }
        }
        return SandboxerException.Config($"{file}: invalid TOML: {string.Join("; ", diagnostics)}");
    }
}
