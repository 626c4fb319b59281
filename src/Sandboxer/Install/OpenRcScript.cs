namespace Sandboxer.Install;

/// <summary>What an init script needs to know to run a service through Sandboxer.</summary>
/// <param name="Link">The bwrap-NAME link, for command=.</param>
/// <param name="Sandboxer">The binary, for reload's `sandboxer signal`.</param>
/// <param name="Profile">The profile's name.</param>
/// <param name="ProfileDirectory">--profile-dir for `signal`, when it is not the default.</param>
/// <param name="Timeout">[stop] timeout, which retry= matches.</param>
/// <param name="StateRoot">[stop] state, where start_pre makes the service's state directory.</param>
public sealed record OpenRcSettings(string Link, string Sandboxer, string Profile, string? ProfileDirectory, int Timeout, string StateRoot);

/// <summary>
/// An OpenRC init script rewritten the way the seed's author did by hand, plus what the stop
/// relay needs: supervise-daemon tracks bwrap, command= is the link, the daemon no longer
/// detaches or writes a pidfile of its own (in a PID namespace its PID means nothing outside),
/// retry matches [stop] timeout, start_pre makes the relay's state directory for the service's
/// user, and reload goes through `sandboxer signal` (a signal to bwrap would end the sandbox).
/// A pure function of the text: a script already rewritten comes back unchanged.
/// </summary>
public static class OpenRcScript
{
    public const string Supervisor = "supervise-daemon";

    public static string Rewrite(string text, OpenRcSettings settings)
    {
        var lines = text.Split('\n').ToList();
        bool finalNewline = lines.Count > 0 && lines[^1].Length == 0;
        if (finalNewline)
            lines.RemoveAt(lines.Count - 1);
        string indent = BodyIndent(lines);

        int command = Find(lines, "command");
        if (command < 0)
            throw SandboxerException.Config("the init script has no command= line: it does not start a daemon that Sandboxer could run");
        if (Value(lines, command) != settings.Link)
            lines[command] = Lead(lines[command]) + "command=" + settings.Link;

        int supervisor = Find(lines, "supervisor");
        if (supervisor < 0)
            lines.InsertRange(command, [$"supervisor=\"{Supervisor}\"", ""]);
        else if (Value(lines, supervisor) != Supervisor)
            lines[supervisor] = Lead(lines[supervisor]) + $"supervisor=\"{Supervisor}\"";

        foreach (var name in new[] { "command_args", "command_args_background" })
            DropDaemonOptions(lines, name);

        string retry = $"SIGTERM/{settings.Timeout}/SIGKILL/5";
        int retryAt = Find(lines, "retry");
        if (retryAt < 0)
            lines.Insert(After(lines), $"retry=\"{retry}\"");
        else if (Value(lines, retryAt) != retry)
            lines[retryAt] = Lead(lines[retryAt]) + $"retry=\"{retry}\"";

        int extra = Find(lines, "extra_started_commands");
        if (extra < 0)
            lines.Insert(After(lines), "extra_started_commands=\"reload\"");
        else if (Value(lines, extra) is { } commands && !commands.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("reload"))
            lines[extra] = Lead(lines[extra]) + $"extra_started_commands=\"{(commands.Trim() + " reload").Trim()}\"";

        AddStateDirectory(lines, settings, indent);
        SetReload(lines, settings, indent);

        return string.Join('\n', lines) + (finalNewline ? "\n" : "");
    }

    /// <summary>NAME when the line is NAME=..., after any indentation.</summary>
    private static string? AssignedName(string line)
    {
        var text = line.AsSpan().TrimStart();
        int end = Identifier(text);
        return end > 0 && end < text.Length && text[end] == '=' ? text[..end].ToString() : null;
    }

    /// <summary>NAME when the line is "NAME() {" or "NAME()".</summary>
    private static string? FunctionName(string line)
    {
        var text = line.AsSpan().Trim();
        int end = Identifier(text);
        if (end == 0)
            return null;
        var rest = text[end..].TrimStart();
        if (!rest.StartsWith("()"))
            return null;
        rest = rest[2..].Trim();
        return rest.IsEmpty || rest is "{" ? text[..end].ToString() : null;
    }

    private static int Identifier(ReadOnlySpan<char> text)
    {
        int end = 0;
        while (end < text.Length && (char.IsAsciiLetter(text[end]) || text[end] == '_' || end > 0 && char.IsAsciiDigit(text[end])))
            end++;
        return end;
    }

    /// <summary>The line of a top-level NAME=, or -1.</summary>
    private static int Find(List<string> lines, string name)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (AssignedName(lines[i]) == name)
                return i;
        }
        return -1;
    }

    private static string Lead(string line) => line[..(line.Length - line.TrimStart().Length)];

    /// <summary>The value of the assignment at <paramref name="at"/>, without its quotes, its continued lines joined in.</summary>
    private static string? Value(List<string> lines, int at)
    {
        string value = lines[at][(lines[at].IndexOf('=') + 1)..];
        int end = Extent(lines, at);
        for (int i = at + 1; i <= end; i++)
            value = value.TrimEnd('\\') + "\n" + lines[i];
        value = value.Trim();
        if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\''))
            value = value[1..^1];
        return value;
    }

    /// <summary>The last line of the assignment at <paramref name="at"/>: a quoted value may go on over lines.</summary>
    private static int Extent(List<string> lines, int at)
    {
        string value = lines[at][(lines[at].IndexOf('=') + 1)..];
        if (value.Length == 0 || value[0] is not ('"' or '\''))
            return at;
        char quote = value[0];
        int i = at;
        string rest = value[1..];
        while (!rest.Contains(quote) && i + 1 < lines.Count)
            rest = lines[++i];
        return i;
    }

    /// <summary>--detach and --pidfile leave the daemon's arguments; a variable left empty goes.</summary>
    private static void DropDaemonOptions(List<string> lines, string name)
    {
        int at = Find(lines, name);
        if (at < 0 || Value(lines, at) is not { } value)
            return;
        var words = value.Replace("\\\n", " ").Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();
        var kept = new List<string>();
        for (int i = 0; i < words.Count; i++)
        {
            if (words[i] is "--detach")
                continue;
            if (words[i] is "--pidfile" or "--pid-file")
            {
                i++;
                continue;
            }
            if (words[i].StartsWith("--pidfile=", StringComparison.Ordinal) || words[i].StartsWith("--pid-file=", StringComparison.Ordinal))
                continue;
            kept.Add(words[i]);
        }
        if (kept.Count == words.Count)
            return;
        int end = Extent(lines, at);
        lines.RemoveRange(at, end - at + 1);
        if (kept.Count > 0)
            lines.Insert(at, $"{name}=\"{string.Join(' ', kept)}\"");
    }

    /// <summary>Where a new top-level setting goes: after the last of command=, command_args=, command_user=, pidfile=, retry=.</summary>
    private static int After(List<string> lines)
    {
        int last = -1;
        foreach (var name in new[] { "command", "command_args", "command_args_background", "command_user", "pidfile", "retry", "command_progress" })
        {
            int at = Find(lines, name);
            if (at >= 0)
                last = Math.Max(last, Extent(lines, at));
        }
        return last + 1;
    }

    /// <summary>The indentation of the first function body, to write new lines alike.</summary>
    private static string BodyIndent(List<string> lines)
    {
        for (int i = 0; i + 1 < lines.Count; i++)
        {
            if (FunctionName(lines[i]) is not null && lines[i + 1].Trim() is { Length: > 0 } body && body != "{" && body != "}")
                return Lead(lines[i + 1]);
        }
        return "\t";
    }

    /// <summary>(header line, closing line) of function NAME, or null.</summary>
    private static (int Start, int End)? FunctionLines(List<string> lines, string name)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (FunctionName(lines[i]) != name)
                continue;
            for (int j = i + 1; j < lines.Count; j++)
            {
                if (lines[j].Trim() == "}")
                    return (i, j);
            }
            throw SandboxerException.Config($"the init script's {name}() has no closing brace on a line of its own: edit it by hand");
        }
        return null;
    }

    /// <summary>
    /// The relay's state directory, for a service that runs as another user: only root may make
    /// entries in the state root, and the service's must be its user's.
    /// </summary>
    private static void AddStateDirectory(List<string> lines, OpenRcSettings settings, string indent)
    {
        int user = Find(lines, "command_user");
        if (user < 0 || Value(lines, user) is "root" or "root:root" or "")
            return;
        string root = settings.StateRoot.TrimEnd('/');
        string directory = $"{root}/{settings.Profile}";
        if (lines.Exists(l => l.Contains("checkpath", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" " + directory, StringComparison.Ordinal)))
            return;
        string[] added =
        [
            indent + "# The stop relay's lock and PID, for the service's user (sandboxer install).",
            indent + $"checkpath --directory --owner root --mode 0755 {root}",
            indent + $"checkpath --directory --owner ${{command_user}} --mode 0700 {directory}",
        ];
        if (FunctionLines(lines, "start_pre") is var (_, end))
            lines.InsertRange(end, added);
        else
            lines.AddRange(["", "start_pre() {", .. added, "}"]);
    }

    private static void SetReload(List<string> lines, OpenRcSettings settings, string indent)
    {
        string directory = settings.ProfileDirectory is { } d ? $" --profile-dir {d}" : "";
        string[] reload =
        [
            "reload() {",
            indent + "ebegin \"Reloading ${RC_SVCNAME}\"",
            indent + "# Through the relay: supervise-daemon --signal would reach bwrap, and bwrap would die.",
            indent + $"{settings.Sandboxer}{directory} signal {settings.Profile} HUP",
            indent + "eend $?",
            "}",
        ];
        if (FunctionLines(lines, "reload") is var (start, end))
        {
            if (lines.GetRange(start, end - start + 1).SequenceEqual(reload))
                return;
            lines.RemoveRange(start, end - start + 1);
            lines.InsertRange(start, reload);
        }
        else
            lines.AddRange(reload);
    }
}
