using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Sandboxer.Profiles;

/// <summary>Where a key or value stands in a profile: 1-based line and column.</summary>
public readonly record struct Location(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";

    internal static Location Of(SyntaxNodeBase node, string file) =>
        new(file, node.Span.Start.Line + 1, node.Span.Start.Column + 1);
}

public enum TomlKind { Table, Array, String, Boolean, Integer, Other }

/// <summary>
/// A TOML value with its location. Tomlyn's syntax tree keeps spans but spreads one table
/// over dotted keys, [headers] and inline tables; this folds them into one tree so the
/// profile reader sees each table once and can name the line of every key.
/// </summary>
public sealed class TomlNode
{
    public required TomlKind Kind { get; init; }
    public required Location Location { get; init; }
    public string String { get; init; } = "";
    public bool Boolean { get; init; }
    public long Integer { get; init; }
    public List<TomlNode> Items { get; } = [];
    public List<TomlEntry> Entries { get; } = [];
    /// <summary>Tables opened by a [header] or by dotted keys may be extended; inline ones may not.</summary>
    internal bool IsOpen { get; init; }

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
    /// <summary>Parses a profile's text; syntax errors become a configuration error at their location.</summary>
    public static TomlNode Parse(string text, string file)
    {
        var document = SyntaxParser.Parse(text, file, validate: true);
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                var start = diagnostic.Span.Start;
                throw SandboxerException.Config($"{file}:{start.Line + 1}:{start.Column + 1}: invalid TOML: {diagnostic.Message}");
            }
        }

        var root = new TomlNode { Kind = TomlKind.Table, Location = new Location(file, 1, 1), IsOpen = true };
        foreach (var keyValue in document.KeyValues)
            AddKeyValue(root, keyValue, file, "");
        foreach (var table in document.Tables)
        {
            if (table is TableArraySyntax)
                throw SandboxerException.Config($"{Location.Of(table, file)}: [[{KeyText(table.Name!)}]]: arrays of tables are not part of the profile format");
            var (target, path) = Descend(root, table.Name!, file, "", header: true);
            foreach (var keyValue in table.Items)
                AddKeyValue(target, keyValue, file, path);
        }
        return root;
    }

    private static void AddKeyValue(TomlNode table, KeyValueSyntax keyValue, string file, string path)
    {
        var key = keyValue.Key!;
        var parts = KeyParts(key);
        var target = table;
        for (int i = 0; i < parts.Count - 1; i++)
            (target, path) = Child(target, parts[i], Location.Of(key, file), path, header: false);
        string name = parts[^1];
        string fullName = Join(path, name);
        if (target.Entries.Exists(e => e.Key == name))
            throw SandboxerException.Config($"{Location.Of(key, file)}: {fullName}: key defined twice");
        target.Entries.Add(new TomlEntry(name, Location.Of(key, file), Convert(keyValue.Value!, file, fullName)));
    }

    private static (TomlNode, string) Descend(TomlNode root, KeySyntax key, string file, string path, bool header)
    {
        var target = root;
        foreach (var part in KeyParts(key))
            (target, path) = Child(target, part, Location.Of(key, file), path, header);
        return (target, path);
    }

    private static (TomlNode, string) Child(TomlNode table, string name, Location at, string path, bool header)
    {
        string fullName = Join(path, name);
        var existing = table.Entries.Find(e => e.Key == name);
        if (existing.Value is null)
        {
            var created = new TomlNode { Kind = TomlKind.Table, Location = at, IsOpen = true };
            table.Entries.Add(new TomlEntry(name, at, created));
            return (created, fullName);
        }
        if (existing.Value.Kind != TomlKind.Table || !existing.Value.IsOpen)
            throw SandboxerException.Config($"{at}: {fullName}: already defined at line {existing.KeyLocation.Line}");
        return (existing.Value, fullName);
    }

    private static TomlNode Convert(ValueSyntax value, string file, string fullName)
    {
        var at = Location.Of(value, file);
        switch (value)
        {
            case StringValueSyntax s:
                return new TomlNode { Kind = TomlKind.String, Location = at, String = s.Value ?? "" };
            case BooleanValueSyntax b:
                return new TomlNode { Kind = TomlKind.Boolean, Location = at, Boolean = b.Value };
            case IntegerValueSyntax i:
                return new TomlNode { Kind = TomlKind.Integer, Location = at, Integer = i.Value };
            case ArraySyntax a:
            {
                var node = new TomlNode { Kind = TomlKind.Array, Location = at };
                foreach (var item in a.Items)
                    node.Items.Add(Convert(item.Value!, file, fullName));
                return node;
            }
            case InlineTableSyntax t:
            {
                var node = new TomlNode { Kind = TomlKind.Table, Location = at, IsOpen = false };
                foreach (var item in t.Items)
                    AddKeyValue(node, item.KeyValue!, file, fullName);
                return node;
            }
            default:
                return new TomlNode { Kind = TomlKind.Other, Location = at };
        }
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyPart(key.Key!) };
        foreach (var dotted in key.DotKeys)
            parts.Add(KeyPart(dotted.Key!));
        return parts;
    }

    private static string KeyPart(BareKeyOrStringValueSyntax part) => part switch
    {
        BareKeySyntax bare => bare.Key!.Text!,
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => part.ToString() ?? "",
    };

    private static string KeyText(KeySyntax key) => string.Join('.', KeyParts(key));

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
