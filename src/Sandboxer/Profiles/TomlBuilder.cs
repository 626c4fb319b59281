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
/// Builds the located tree in one walk over Tomlyn's tokens, following the grammar of
/// Tomlyn's streaming parser (TOML 1.1, as that parser accepts it) and doing the semantic
/// checks it leaves out. Reading the text once, not twice, is most of the parse at 500
/// mounts. On any error Tomlyn's parser reads the text after all, so a syntax error is
/// reported first and in its words, as when it checked every profile.
/// </summary>
internal sealed class TomlBuilder(string text, string file)
{
    private enum Step { HeaderPath, HeaderLast, DottedPath }

    /// <summary>Tomlyn's own limit (TomlSerializerOptions.MaxDepth): tables and arrays, the root table counted.</summary>
    private const int MaxDepth = 64;

    private readonly TomlLexer _lexer = TomlLexer.Create(text, new TomlLexerOptions { DecodeScalars = true });
    private TomlToken _token;

    public TomlNode Document()
    {
        var root = NewTable(new Location(file, 1, 1), TableOrigin.Header);
        var table = root;
        string path = "";
        int depth = 1;
        Next(TomlLexerMode.Key);
        while (true)
        {
            switch (_token.Kind)
            {
                case TokenKind.Eof:
                    return root;
                case TokenKind.NewLine:
                    Next(TomlLexerMode.Key);
                    continue;
                case TokenKind.OpenBracket:
                    (table, path, depth) = Header(root);
                    break;
                case TokenKind.OpenBracketDouble:
                    var at = Here();
                    Next(TomlLexerMode.Key);
                    throw Refuse($"{at}: [[{HeaderKey()}]]: arrays of tables are not part of the profile format");
                case TokenKind.BasicKey:
                case var kind when kind.IsString():
                    KeyValue(table, path, depth, inline: false);
                    break;
                default:
                    throw Fail("a key or a [table] header");
            }
            if (_token.Kind is not (TokenKind.NewLine or TokenKind.Eof))
                throw Fail("the end of the line");
        }
    }

    /// <summary>[a.b.c]: the table the following keys go into, its dotted name and depth.</summary>
    private (TomlNode, string, int) Header(TomlNode root)
    {
        Next(TomlLexerMode.Key);
        var at = Here();
        var table = root;
        string path = "";
        int depth = 1;
        string name = DottedKey(ref table, ref path, ref depth, at, Step.HeaderPath);
        if (_token.Kind != TokenKind.CloseBracket)
            throw Fail("`]`");
        Next(TomlLexerMode.Key);
        (table, path) = Open(table, name, at, path, Step.HeaderLast);
        return (table, path, Deeper(depth));
    }

    /// <summary>
    /// a.b.c: goes into a and b (made or checked as <paramref name="step"/> says), leaving
    /// <paramref name="table"/> at b, and returns c.
    /// </summary>
    private string DottedKey(ref TomlNode table, ref string path, ref int depth, Location at, Step step)
    {
        string name = KeyPart();
        while (_token.Kind == TokenKind.Dot)
        {
            (table, path) = Open(table, name, at, path, step);
            depth = Deeper(depth);
            Next(TomlLexerMode.Key);
            name = KeyPart();
        }
        return name;
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
    private void KeyValue(TomlNode table, string path, int depth, bool inline)
    {
        var at = Here();
        string name = DottedKey(ref table, ref path, ref depth, at, Step.DottedPath);
        if (_token.Kind != TokenKind.Equal)
            throw Fail("`=` after the key");
        if (table.Find(name) is { } existing)
            throw Refuse($"{at}: {Join(path, name)}: key defined twice (first at line {existing.KeyLocation.Line})");
        Next(TomlLexerMode.Value);
        if (inline) // Tomlyn takes a value on the next line inside { }, not outside
            SkipNewLines(TomlLexerMode.Value);
        // Only the keys inside a container need its dotted name: no string per scalar.
        string fullName = _token.Kind is TokenKind.OpenBracket or TokenKind.OpenBrace ? Join(path, name) : name;
        table.Add(new TomlEntry(name, at, Value(fullName, depth, TomlLexerMode.Key)));
    }

    /// <summary>The value at the current token; <paramref name="after"/> is how to read what follows it.</summary>
    private TomlNode Value(string fullName, int depth, TomlLexerMode after)
    {
        var at = Here();
        var kind = _token.Kind;
        TomlNode node;
        if (kind == TokenKind.OpenBracket)
        {
            int inner = Deeper(depth);
            node = new TomlNode { Kind = TomlKind.Array, Location = at };
            Next(TomlLexerMode.Value);
            while (SkipNewLines(TomlLexerMode.Value) != TokenKind.CloseBracket)
            {
                node.Items.Add(Value(fullName, inner, TomlLexerMode.Value));
                if (SkipNewLines(TomlLexerMode.Value) == TokenKind.Comma)
                    Next(TomlLexerMode.Value);
                else if (_token.Kind != TokenKind.CloseBracket)
                    throw Fail("`,` or `]`");
            }
        }
        else if (kind == TokenKind.OpenBrace)
        {
            int inner = Deeper(depth);
            node = NewTable(at, TableOrigin.Inline);
            Next(TomlLexerMode.Key);
            while (SkipNewLines(TomlLexerMode.Key) != TokenKind.CloseBrace)
            {
                if (_token.Kind != TokenKind.BasicKey && !_token.Kind.IsString())
                    throw Fail("a key or `}`");
                KeyValue(node, fullName, inner, inline: true);
                if (SkipNewLines(TomlLexerMode.Key) == TokenKind.Comma)
                    Next(TomlLexerMode.Key);
                else if (_token.Kind != TokenKind.CloseBrace)
                    throw Fail("`,` or `}`");
            }
        }
        else if (kind.IsString())
            node = new TomlNode { Kind = TomlKind.String, Location = at, String = _token.StringValue ?? "" };
        else if (kind is TokenKind.True or TokenKind.False)
            node = new TomlNode { Kind = TomlKind.Boolean, Location = at, Boolean = kind == TokenKind.True };
        else if (kind.IsInteger())
            node = new TomlNode { Kind = TomlKind.Integer, Location = at, Integer = (long)_token.Data };
        else if (kind.IsFloat() || kind.IsDateTime()) // valid TOML, but no profile key takes one
            node = new TomlNode { Kind = TomlKind.Other, Location = at };
        else
            throw Fail("a value");
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
        if (table.Find(name) is not { } existing)
        {
            var origin = step switch { Step.HeaderPath => TableOrigin.Implied, Step.HeaderLast => TableOrigin.Header, _ => TableOrigin.Dotted };
            var created = NewTable(at, origin);
            table.Add(new TomlEntry(name, at, created));
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
            throw Refuse($"{at}: {fullName}: {refusal}");
        if (node.Origin == TableOrigin.Implied && step != Step.HeaderPath)
        {
            node.Origin = step == Step.HeaderLast ? TableOrigin.Header : TableOrigin.Dotted;
            node.DefinedAt = at;
        }
        return (node, fullName);
    }

    private TomlNode NewTable(Location at, TableOrigin origin) =>
        new() { Kind = TomlKind.Table, Location = at, Origin = origin, DefinedAt = at };

    /// <summary>One part of a key (bare or quoted); moves past it.</summary>
    private string KeyPart()
    {
        if (_token.Kind != TokenKind.BasicKey && !_token.Kind.IsString())
            throw Fail("a key");
        string part = _token.Kind == TokenKind.BasicKey ? _lexer.GetText(_token) ?? "" : _token.StringValue ?? "";
        Next(TomlLexerMode.Key);
        return part;
    }

    /// <summary>Past blank lines inside [ ] or { }, where the text must not end.</summary>
    private TokenKind SkipNewLines(TomlLexerMode mode)
    {
        while (_token.Kind == TokenKind.NewLine)
            Next(mode);
        return _token.Kind != TokenKind.Eof ? _token.Kind : throw Fail("the rest of the value");
    }

    private int Deeper(int depth) => depth < MaxDepth ? depth + 1 : throw Fail("less nesting");

    /// <summary>
    /// A syntax error: Tomlyn's parser words it (it reads the text only now, on this rare
    /// path); this message is the fallback should it find nothing wrong.
    /// </summary>
    private SandboxerException Fail(string expected)
    {
        TomlTree.CheckSyntax(text, file, Here());
        string found = _token.Kind == TokenKind.Eof ? "the end of the file" : $"`{_lexer.GetText(_token)}`";
        return SandboxerException.Config($"{Here()}: invalid TOML: expected {expected}, found {found}");
    }

    /// <summary>A semantic error, reported unless the text also has a syntax error, which comes first.</summary>
    private SandboxerException Refuse(string message)
    {
        TomlTree.CheckSyntax(text, file, Here());
        return SandboxerException.Config(message);
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
            bool moved;
            try
            {
                moved = _lexer.MoveNext();
            }
            catch (ArgumentOutOfRangeException) when (TomlTree.EndsInEscape(text))
            {
                throw TomlTree.EndedInEscape(text, file);
            }
            if (!moved)
            {
                _token = new TomlToken(TokenKind.Eof, default, default);
                return;
            }
            _token = _lexer.Current;
            if (_lexer.HasErrors)
                throw Fail("valid TOML");
        }
        while (_token.Kind is TokenKind.Whitespaces or TokenKind.Comment);
    }

    private Location Here() => new(file, _token.Start.Line + 1, _token.Start.Column + 1);

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
