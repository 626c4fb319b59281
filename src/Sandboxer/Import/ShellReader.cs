using System.Text;

namespace Sandboxer.Import;

/// <summary>Where a piece of a script came from: a file and a line (1-based).</summary>
public readonly record struct Origin(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>Something import could not translate, at the script line that holds it.</summary>
public sealed record Finding(Origin At, string Message)
{
    public override string ToString() => $"{At}: {Message}";
}

/// <summary>One argument of the exec'd command after the shell's expansions, with where its first character was written.</summary>
public sealed record ShellWord(string Text, Origin At);

public sealed record ShellComment(Origin At, string Text);

/// <summary>What a wrapper script execs: the program, its arguments, and whether "$@" ends them.</summary>
public sealed record ShellCommand(ShellWord Program, List<ShellWord> Args, bool PassesCallerArgs, Origin At);

/// <summary>A script as read: its comments per file (the script's own and each sourced file's) and the command it execs.</summary>
public sealed class ShellScript
{
    public required string Path { get; init; }
    public List<ShellComment> Comments { get; } = [];
    public List<string> Sourced { get; } = [];
    public ShellCommand? Exec { get; set; }
}

/// <summary>
/// Reads the few POSIX shell constructs a bwrap wrapper is written with, without running
/// anything: comments, line continuations, quoting, assignments, the unquoted expansion of
/// $NAME and ${NAME} with field splitting, ". FILE" and "source FILE", "set -e", and one
/// "exec bwrap ... "$@"". Whatever could change what runs in ways text cannot show (command
/// substitution, eval, loops, conditionals, redirections, globbing, unset variables) is refused
/// with its file and line: a guess here would become a sandbox nobody wrote.
/// </summary>
public sealed class ShellReader
{
    private const int MaxSourceDepth = 8;

    /// <summary>One character of a word after expansion, and whether the shell would split or glob it.</summary>
    private readonly record struct Ch(char C, Origin At, bool Unquoted, bool Split);

    private sealed class Refusal(Finding finding) : Exception(finding.Message)
    {
        public Finding Finding { get; } = finding;
    }

    private readonly Dictionary<string, List<Ch>> variables = [];
    private readonly ShellScript script;
    private int depth;

    private ShellReader(ShellScript script) => this.script = script;

    /// <summary>The script at <paramref name="path"/> read, or the one finding that made it unreadable.</summary>
    /// <param name="open">Reads a file's text: the script and every file it sources.</param>
    public static (ShellScript? Script, Finding? Refused) Read(string path, Func<string, string> open)
    {
        var script = new ShellScript { Path = path };
        try
        {
            new ShellReader(script).ReadFile(path, open(path), open);
            return (script, null);
        }
        catch (Refusal refusal)
        {
            return (null, refusal.Finding);
        }
    }

    private static Refusal Refuse(Origin at, string why) => new(new Finding(at, why));

    private void ReadFile(string file, string text, Func<string, string> open)
    {
        var lexer = new Lexer(this, file, text);
        while (lexer.More)
        {
            var statement = lexer.Statement();
            if (statement.Count == 0)
                continue;
            if (script.Exec is not null)
                throw Refuse(statement[0].At, "a command after exec would never run: nothing may follow exec bwrap");
            Run(statement, open);
        }
    }

    /// <summary>What a statement does, once its assignments are made: only these few commands are known.</summary>
    private void Run(List<Word> statement, Func<string, string> open)
    {
        var first = statement[0];
        string name = first.Literal ?? "";
        switch (name)
        {
            case ".":
            case "source":
            {
                var fields = Fields(statement.Skip(1));
                if (fields.Count != 1)
                    throw Refuse(first.At, $"{name} takes one file");
                string path = fields[0].Text;
                if (!path.StartsWith('/'))
                    throw Refuse(fields[0].At, $"{name} {path}: a relative name is looked up in PATH or the current directory: write the absolute path");
                if (++depth > MaxSourceDepth)
                    throw Refuse(first.At, $"files source each other more than {MaxSourceDepth} deep");
                string sourced;
                try
                {
                    sourced = open(path);
                }
                catch (SandboxerException e)
                {
                    throw Refuse(fields[0].At, $"{name}: {e.Message}");
                }
                script.Sourced.Add(path);
                ReadFile(path, sourced, open);
                depth--;
                return;
            }
            case "set":
                foreach (var word in statement.Skip(1))
                {
                    // -e, -u, -x and the like change nothing in what is exec'd; set -- would replace "$@".
                    if (word.Literal is not { Length: > 1 } option || option[0] != '-' || option == "--" || option.Skip(1).Any(c => !char.IsAsciiLetterLower(c)))
                        throw Refuse(word.At, "set: only options such as -e and -u are read; set with arguments would replace \"$@\"");
                }
                return;
            case "exec":
            {
                if (statement.Count == 1)
                    throw Refuse(first.At, "exec without a command changes the script's descriptors, which import does not read");
                script.Exec = Command(statement.Skip(1).ToList());
                return;
            }
            case "eval":
                throw Refuse(first.At, "eval runs text built at run time as code: import cannot know what it would run");
            case "for" or "while" or "until" or "do" or "done":
                throw Refuse(first.At, $"{name}: loops are not read: write each bwrap option out");
            case "if" or "then" or "else" or "elif" or "fi" or "case" or "esac" or "[" or "[[" or "test" or "!" or "{" or "}" or "function":
                throw Refuse(first.At, $"{name}: conditionals and functions are not read: a profile says one thing");
            case "export" or "readonly" or "local" or "unset" or "shift":
                throw Refuse(first.At, $"{name}: changes the environment or the arguments bwrap gets, which a profile sets with clearenv, setenv and args");
            default:
                // A wrapper that runs bwrap as its last command, without exec, runs the same argv.
                if (first.Literal is not null && (name == "bwrap" || name.EndsWith("/bwrap", StringComparison.Ordinal)))
                {
                    script.Exec = Command(statement);
                    return;
                }
                throw Refuse(first.At, $"\"{first.Display}\": not a command import reads (assignments, . FILE, source FILE, set -e, exec bwrap)");
        }
    }

    private ShellCommand Command(List<Word> words)
    {
        bool passes = false;
        var fields = new List<ShellWord>();
        foreach (var word in words)
        {
            if (passes)
                throw Refuse(word.At, "\"$@\" must be the last word: the caller's arguments go at the end of the daemon's");
            if (word.CallerArgs)
            {
                passes = true;
                continue;
            }
            fields.AddRange(Fields([word]));
        }
        if (fields.Count == 0)
            throw Refuse(words[0].At, "exec runs nothing");
        return new ShellCommand(fields[0], fields.Skip(1).ToList(), passes, words[0].At);
    }

    /// <summary>Field splitting at blanks and newlines that came from unquoted expansions; a quoted empty word stays one field.</summary>
    private static List<ShellWord> Fields(IEnumerable<Word> words)
    {
        var fields = new List<ShellWord>();
        foreach (var word in words)
        {
            if (word.CallerArgs)
                throw Refuse(word.At, "\"$@\" is read only at the end of exec bwrap");
            var current = new StringBuilder();
            Origin? at = null;
            bool emitted = false;
            foreach (var ch in word.Chars)
            {
                if (ch.Split && ch.C is ' ' or '\t' or '\n')
                {
                    if (current.Length > 0)
                    {
                        fields.Add(new ShellWord(current.ToString(), at!.Value));
                        emitted = true;
                    }
                    current.Clear();
                    at = null;
                    continue;
                }
                if (ch.Unquoted && ch.C is '*' or '?' or '[')
                    throw Refuse(ch.At, $"an unquoted '{ch.C}' is a filename pattern the shell would expand: quote it");
                current.Append(ch.C);
                at ??= ch.At;
            }
            // "" is one empty argument; an unquoted expansion of nothing is none.
            if (current.Length > 0 || !emitted && word.Quoted && !word.Chars.Exists(c => c.Split))
                fields.Add(new ShellWord(current.ToString(), at ?? word.At));
        }
        return fields;
    }

    /// <summary>A word as the lexer read it: its characters after expansion, and what it was written as.</summary>
    private sealed class Word
    {
        public List<Ch> Chars { get; } = [];
        public required Origin At { get; init; }
        public bool Quoted { get; set; }
        public bool Expanded { get; set; }
        public bool CallerArgs { get; set; }
        public StringBuilder Raw { get; } = new();

        /// <summary>The word's text when it was written without quotes or expansions (a command name), else null.</summary>
        public string? Literal => Quoted || Expanded || CallerArgs ? null : new string(Chars.Select(c => c.C).ToArray());

        public string Display => Raw.ToString();
    }

    /// <summary>
    /// Reads one file statement by statement; a statement's leading NAME=VALUE words are
    /// assigned as they are read, so a later word sees them, as in sh.
    /// </summary>
    private sealed class Lexer(ShellReader reader, string file, string text)
    {
        private int pos;
        private int line = 1;

        public bool More => pos < text.Length;

        private Origin Here => new(file, line);

        private char Peek(int ahead = 0) => pos + ahead < text.Length ? text[pos + ahead] : '\0';

        public List<Word> Statement()
        {
            var words = new List<Word>();
            bool assigning = true;
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c is ' ' or '\t')
                {
                    pos++;
                    continue;
                }
                if (c == '\\' && Peek(1) == '\n')
                {
                    pos += 2;
                    line++;
                    continue;
                }
                if (c == '\n' || c == ';')
                {
                    if (c == ';' && Peek(1) == ';')
                        throw Refuse(Here, "case is not read");
                    pos++;
                    if (c == '\n')
                        line++;
                    if (words.Count > 0 || c == '\n')
                        return words;
                    continue;
                }
                if (c == '#')
                {
                    Comment();
                    continue;
                }
                if (c is '|' or '&' or '<' or '>' or '(' or ')')
                    throw Refuse(Here, $"'{c}': pipelines, background jobs, redirections and subshells are not read");
                if (assigning && AssignmentName() is { } name)
                {
                    var at = Here;
                    pos += name.Length + 1;
                    var value = ReadWord(at);
                    if (value.CallerArgs)
                        throw Refuse(at, "\"$@\" in an assignment is not read");
                    // An assignment neither splits nor globs its value; an expansion of it later does, unless quoted.
                    reader.variables[name] = value.Chars.Select(ch => ch with { Unquoted = false, Split = false }).ToList();
                    continue;
                }
                assigning = false;
                words.Add(ReadWord(Here));
            }
            return words;
        }

        private void Comment()
        {
            int start = pos;
            while (pos < text.Length && text[pos] != '\n')
                pos++;
            string comment = text[start..pos];
            // The interpreter line is not the author's comment.
            if (!(line == 1 && start == 0 && comment.StartsWith("#!", StringComparison.Ordinal)))
                reader.script.Comments.Add(new ShellComment(Here, comment.TrimStart('#').TrimStart(' ').TrimEnd()));
        }

        /// <summary>NAME in NAME=..., when the word at pos is an assignment.</summary>
        private string? AssignmentName()
        {
            int end = pos;
            if (!(char.IsAsciiLetter(Peek()) || Peek() == '_'))
                return null;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                end++;
            return end < text.Length && text[end] == '=' ? text[pos..end] : null;
        }

        private Word ReadWord(Origin at)
        {
            var word = new Word { At = at };
            int start = pos;
            if (Peek() == '~')
                throw Refuse(Here, "'~' at the start of a word is the shell's home directory: write the path");
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c is ' ' or '\t' or '\n' or ';' or '|' or '&' or '<' or '>' or '(' or ')')
                    break;
                if (c == '\\')
                {
                    if (Peek(1) == '\n')
                    {
                        pos += 2;
                        line++;
                        continue;
                    }
                    if (pos + 1 >= text.Length)
                        throw Refuse(Here, "a backslash ends the file");
                    word.Chars.Add(new Ch(text[pos + 1], Here, false, false));
                    word.Quoted = true;
                    pos += 2;
                    continue;
                }
                if (c == '\'')
                {
                    word.Quoted = true;
                    var opened = Here;
                    pos++;
                    while (pos < text.Length && text[pos] != '\'')
                    {
                        word.Chars.Add(new Ch(text[pos], Here, false, false));
                        if (text[pos] == '\n')
                            line++;
                        pos++;
                    }
                    if (pos >= text.Length)
                        throw Refuse(opened, "a single quote is never closed");
                    pos++;
                    continue;
                }
                if (c == '"')
                {
                    DoubleQuoted(word);
                    continue;
                }
                if (c == '`')
                    throw Backquote();
                if (c == '$')
                {
                    Dollar(word, quoted: false);
                    continue;
                }
                word.Chars.Add(new Ch(c, Here, true, false));
                pos++;
            }
            word.Raw.Append(text.AsSpan(start, pos - start));
            return word;
        }

        private void DoubleQuoted(Word word)
        {
            var opened = Here;
            word.Quoted = true;
            pos++;
            // "$@" alone is the caller's arguments, each one word: the one expansion of them a wrapper needs.
            if (text.AsSpan(pos).StartsWith("$@\"") && word.Chars.Count == 0 && !word.Expanded && IsWordEnd(pos + 3))
            {
                word.CallerArgs = true;
                pos += 3;
                return;
            }
            while (pos < text.Length && text[pos] != '"')
            {
                char c = text[pos];
                if (c == '\\' && Peek(1) is '$' or '`' or '"' or '\\' or '\n')
                {
                    if (Peek(1) == '\n')
                        line++;
                    else
                        word.Chars.Add(new Ch(Peek(1), Here, false, false));
                    pos += 2;
                    continue;
                }
                if (c == '`')
                    throw Backquote();
                if (c == '$')
                {
                    Dollar(word, quoted: true);
                    continue;
                }
                word.Chars.Add(new Ch(c, Here, false, false));
                if (c == '\n')
                    line++;
                pos++;
            }
            if (pos >= text.Length)
                throw Refuse(opened, "a double quote is never closed");
            pos++;
        }

        private Refusal Backquote() => Refuse(Here, "`...`: command substitution runs a command while the script runs: import cannot know its output");

        private bool IsWordEnd(int at) => at >= text.Length || text[at] is ' ' or '\t' or '\n' or ';';

        private void Dollar(Word word, bool quoted)
        {
            var at = Here;
            char next = Peek(1);
            string? name = null;
            if (next == '(')
                throw Refuse(at, "$(...): command substitution and arithmetic run while the script runs: import cannot know their output");
            if (next == '{')
            {
                int close = text.IndexOf('}', pos);
                string inner = close < 0 ? "" : text[(pos + 2)..close];
                if (inner.Length == 0 || !IsName(inner))
                    throw Refuse(at, "${" + (close < 0 ? "" : inner) + "}: only ${NAME} is read, no defaults, lengths or pattern removal");
                name = inner;
                pos = close + 1;
            }
            else if (char.IsAsciiLetter(next) || next == '_')
            {
                int end = pos + 1;
                while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                    end++;
                name = text[(pos + 1)..end];
                pos = end;
            }
            else if (next == '@' || next == '*')
                throw Refuse(at, $"${next}: only \"$@\", quoted and alone, passes the caller's arguments unchanged");
            else if (char.IsAsciiDigit(next) || next is '#' or '?' or '$' or '!' or '-')
                throw Refuse(at, $"${next}: positional and special parameters are known only when the script runs");
            else
            {
                word.Chars.Add(new Ch('$', at, !quoted, false));
                pos++;
                return;
            }
            if (!reader.variables.TryGetValue(name, out var value))
                throw Refuse(at, $"${name} is not set in the script or a file it sources: import does not read the environment");
            word.Expanded = true;
            foreach (var ch in value)
                word.Chars.Add(ch with { Unquoted = !quoted, Split = !quoted });
        }

        private static bool IsName(string s) =>
            (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }
}
