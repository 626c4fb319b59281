using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Sandboxer.Profiles;

/// <summary>How a table came to be; TOML allows reopening it only in some of these cases.</summary>
internal enum TableOrigin
{
    /// <summary>Named on the way to a deeper header ([a] in [a.b]): a later [a], or dotted keys, may still define it.</summary>
    Implied,
    /// <summary>Defined by its own [header]: never again by a header, never extended by dotted keys.</summary>
    Header,
    /// <summary>Made by a dotted key (a.b = 1): more dotted keys may extend it, a header may not define it.</summary>
    Dotted,
    /// <summary>{ ... }: complete where it stands.</summary>
    Inline,
}

/// <summary>
/// Builds the located tree from Tomlyn's token stream. The syntax has already passed
/// Tomlyn's streaming parser, so this walk only follows it, folding keys into tables and
/// doing the semantic checks that parser leaves out, each reported at the key's location.
/// </summary>
internal sealed class TomlBuilder(string text, string file)
{
    private enum Step { HeaderPath, HeaderLast, DottedPath }

    private readonly TomlLexer _lexer = TomlLexer.Create(text, new TomlLexerOptions { DecodeScalars = true });
    private TomlToken _token;

    public TomlNode Document()
    {
        var root = NewTable(new Location(file, 1, 1), TableOrigin.Header);
        var table = root;
        string path = "";
        Next(TomlLexerMode.Key);
        while (true)
        {
            switch (_token.Kind)
            {
                case TokenKind.Eof:
                    return root;
                case TokenKind.NewLine:
                    Next(TomlLexerMode.Key);
                    break;
                case TokenKind.OpenBracket:
                    (table, path) = Header(root);
                    break;
                case TokenKind.OpenBracketDouble:
                    var at = Here();
                    Next(TomlLexerMode.Key);
                    throw SandboxerException.Config($"{at}: [[{HeaderKey()}]]: arrays of tables are not part of the profile format");
                default:
                    KeyValue(table, path);
                    break;
            }
        }
    }

    /// <summary>[a.b.c]: the table the following keys go into, and its dotted name.</summary>
    private (TomlNode, string) Header(TomlNode root)
    {
        Next(TomlLexerMode.Key);
        var at = Here();
        var table = root;
        string path = "";
        string name = KeyPart();
        while (_token.Kind == TokenKind.Dot)
        {
            (table, path) = Open(table, name, at, path, Step.HeaderPath);
            Next(TomlLexerMode.Key);
            name = KeyPart();
        }
        Next(TomlLexerMode.Key); // ]
        return Open(table, name, at, path, Step.HeaderLast);
    }

    /// <summary>The dotted name inside [[...]], for the message that rejects it.</summary>
    private string HeaderKey()
    {
        string key = KeyPart();
        while (_token.Kind == TokenKind.Dot)
        {
            Next(TomlLexerMode.Key);
            key += "." + KeyPart();
        }
        return key;
    }

    /// <summary>key = value, or a.b.c = value; leaves the token after the value current.</summary>
    private void KeyValue(TomlNode table, string path)
    {
        var at = Here();
        string name = KeyPart();
        while (_token.Kind == TokenKind.Dot)
        {
            (table, path) = Open(table, name, at, path, Step.DottedPath);
            Next(TomlLexerMode.Key);
            name = KeyPart();
        }
        if (Find(table, name) is { } existing)
            throw SandboxerException.Config($"{at}: {Join(path, name)}: key defined twice (first at line {existing.KeyLocation.Line})");
        Next(TomlLexerMode.Value); // =
        // Only the keys inside a container need its dotted name: no string per scalar.
        string fullName = _token.Kind is TokenKind.OpenBracket or TokenKind.OpenBrace ? Join(path, name) : name;
        table.Entries.Add(new TomlEntry(name, at, Value(fullName, TomlLexerMode.Key)));
    }

    /// <summary>The value at the current token; <paramref name="after"/> is how to read what follows it.</summary>
    private TomlNode Value(string fullName, TomlLexerMode after)
    {
        var at = Here();
        TomlNode node;
        switch (_token.Kind)
        {
            case TokenKind.OpenBracket:
                node = new TomlNode { Kind = TomlKind.Array, Location = at };
                Next(TomlLexerMode.Value);
                while (SkipNewLines(TomlLexerMode.Value) != TokenKind.CloseBracket)
                {
                    node.Items.Add(Value(fullName, TomlLexerMode.Value));
                    if (SkipNewLines(TomlLexerMode.Value) == TokenKind.Comma)
                        Next(TomlLexerMode.Value);
                }
                break;
            case TokenKind.OpenBrace:
                node = NewTable(at, TableOrigin.Inline);
                Next(TomlLexerMode.Key);
                while (SkipNewLines(TomlLexerMode.Key) != TokenKind.CloseBrace)
                {
                    KeyValue(node, fullName);
                    if (SkipNewLines(TomlLexerMode.Key) == TokenKind.Comma)
                        Next(TomlLexerMode.Key);
                }
                break;
            case TokenKind.String or TokenKind.StringMulti or TokenKind.StringLiteral or TokenKind.StringLiteralMulti:
                node = new TomlNode { Kind = TomlKind.String, Location = at, String = _token.StringValue ?? "" };
                break;
            case TokenKind.True or TokenKind.False:
                node = new TomlNode { Kind = TomlKind.Boolean, Location = at, Boolean = _token.Kind == TokenKind.True };
                break;
            case TokenKind.Integer or TokenKind.IntegerHexa or TokenKind.IntegerOctal or TokenKind.IntegerBinary:
                node = new TomlNode { Kind = TomlKind.Integer, Location = at, Integer = (long)_token.Data };
                break;
            default: // floats, dates and times: valid TOML, but no profile key takes one
                node = new TomlNode { Kind = TomlKind.Other, Location = at };
                break;
        }
        Next(after);
        return node;
    }

    /// <summary>
    /// The table <paramref name="name"/> in <paramref name="table"/>, made if missing, for a
    /// header or dotted key passing through or naming it; refuses what TOML forbids.
    /// </summary>
    private (TomlNode, string) Open(TomlNode table, string name, Location at, string path, Step step)
    {
        string fullName = Join(path, name);
        if (Find(table, name) is not { } existing)
        {
            var origin = step switch { Step.HeaderPath => TableOrigin.Implied, Step.HeaderLast => TableOrigin.Header, _ => TableOrigin.Dotted };
            var created = NewTable(at, origin);
            table.Entries.Add(new TomlEntry(name, at, created));
            return (created, fullName);
        }
        var node = existing.Value;
        string? refusal = (node.Kind, node.Origin, step) switch
        {
            (not TomlKind.Table, _, _) => $"already defined at line {existing.KeyLocation.Line} as {node.KindName}",
            (_, TableOrigin.Inline, _) => $"already defined at line {node.DefinedAt.Line} as an inline table, which cannot be extended",
            (_, TableOrigin.Header, Step.HeaderLast) => $"table already defined at line {node.DefinedAt.Line}",
            (_, TableOrigin.Dotted, Step.HeaderLast) => $"already defined by dotted keys at line {node.DefinedAt.Line}",
            (_, TableOrigin.Header, Step.DottedPath) => $"already defined by a [header] at line {node.DefinedAt.Line}; dotted keys cannot extend it",
            _ => null,
        };
        if (refusal is not null)
            throw SandboxerException.Config($"{at}: {fullName}: {refusal}");
        if (node.Origin == TableOrigin.Implied && step != Step.HeaderPath)
        {
            node.Origin = step == Step.HeaderLast ? TableOrigin.Header : TableOrigin.Dotted;
            node.DefinedAt = at;
        }
        return (node, fullName);
    }

    private TomlNode NewTable(Location at, TableOrigin origin) =>
        new() { Kind = TomlKind.Table, Location = at, Origin = origin, DefinedAt = at };

    private static TomlEntry? Find(TomlNode table, string name)
    {
        foreach (var entry in table.Entries)
        {
            if (entry.Key == name)
                return entry;
        }
        return null;
    }

    /// <summary>One part of a key (bare or quoted); moves past it.</summary>
    private string KeyPart()
    {
        string part = _token.Kind == TokenKind.BasicKey ? _lexer.GetText(_token) ?? "" : _token.StringValue ?? "";
        Next(TomlLexerMode.Key);
        return part;
    }

    private TokenKind SkipNewLines(TomlLexerMode mode)
    {
        while (_token.Kind == TokenKind.NewLine)
            Next(mode);
        return _token.Kind;
    }

    /// <summary>
    /// The next significant token, read as a key or a value (the same characters lex
    /// differently in each); whitespace and comments are skipped.
    /// </summary>
    private void Next(TomlLexerMode mode)
    {
        _lexer.Mode = mode;
        do
        {
            if (!_lexer.MoveNext())
            {
                _token = new TomlToken(TokenKind.Eof, default, default);
                return;
            }
            // The syntax check read the same text, so this is only a safety net.
            if (_lexer.HasErrors)
                throw TomlTree.Invalid(file, _lexer.Errors);
            _token = _lexer.Current;
        }
        while (_token.Kind is TokenKind.Whitespaces or TokenKind.Comment);
    }

    private Location Here() => new(file, _token.Start.Line + 1, _token.Start.Column + 1);

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
