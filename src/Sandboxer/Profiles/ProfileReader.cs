namespace Sandboxer.Profiles;

/// <summary>
/// Applies one profile file to a <see cref="Profile"/>, checking every key and value.
/// Anything it does not know is an error: a typo must never silently change a sandbox.
/// </summary>
public static class ProfileReader
{
    private static readonly string[] TopLevelKeys = ["bwrap", "command", "args", "sandbox", "stop"];
    private static readonly string[] StopKeys = ["relay", "signal", "timeout", "wait", "state"];

    /// <param name="isHub">defaults.toml: no command or args of its own.</param>
    public static void Apply(Profile profile, TomlNode root, bool isHub)
    {
        foreach (var entry in root.Entries)
        {
            switch (entry.Key)
            {
                case "bwrap":
                    profile.Bwrap = new(AbsolutePath(entry.Value, "bwrap"), entry.Value.Location);
                    break;
                case "command":
                    RefuseInHub(isHub, entry);
                    profile.Command = new(AbsolutePath(entry.Value, "command"), entry.Value.Location);
                    break;
                case "args":
                    RefuseInHub(isHub, entry);
                    profile.Args.Clear();
                    foreach (var item in Expect(entry.Value, TomlKind.Array, "args", "an array of strings").Items)
                        profile.Args.Add(Text(item, "args"));
                    break;
                case "sandbox":
                    ApplySandbox(profile, Expect(entry.Value, TomlKind.Table, "sandbox", "a table"));
                    break;
                case "stop":
                    ApplyStop(profile.Stop, Expect(entry.Value, TomlKind.Table, "stop", "a table"));
                    break;
                default:
                    throw Unknown(entry, entry.Key, TopLevelKeys);
            }
        }
    }

    private static void RefuseInHub(bool isHub, TomlEntry entry)
    {
        if (isHub)
            throw Error(entry.KeyLocation, entry.Key, "belongs in a service's profile, not in defaults.toml");
    }

    private static void ApplySandbox(Profile profile, TomlNode table)
    {
        // Two mounts of one file on the same destination would leave the winner to key order.
        var destinations = new Dictionary<string, Location>();
        foreach (var entry in table.Entries)
        {
            string key = "sandbox." + entry.Key;
            var spec = BwrapOptions.Find(entry.Key);
            if (spec is null)
            {
                if (Array.IndexOf(BwrapOptions.DescriptorOptions, entry.Key) >= 0)
                    throw Error(entry.KeyLocation, key, "takes a file descriptor, which a profile cannot give");
                throw Unknown(entry, key, Array.ConvertAll(BwrapOptions.All, s => s.Name));
            }
            var value = entry.Value;
            switch (spec.Shape)
            {
                case OptionShape.Flag:
                    profile.Flags[spec.Name] = new(Expect(value, TomlKind.Boolean, key, "true or false").Boolean, value.Location);
                    break;
                case OptionShape.Text:
                    profile.Values[spec.Name] = new(NonEmpty(value, key), value.Location);
                    break;
                case OptionShape.Path:
                    profile.Values[spec.Name] = new(AbsolutePath(value, key), value.Location);
                    break;
                case OptionShape.Id:
                    profile.Values[spec.Name] = new(Id(value, key), value.Location);
                    break;
                case OptionShape.TextList:
                case OptionShape.Capabilities:
                case OptionShape.PathList:
                    AppendList(profile, spec, value, key);
                    break;
                case OptionShape.Environment:
                    ApplyEnvironment(profile, Expect(value, TomlKind.Table, key, "a table of NAME = \"value\""), key);
                    break;
                case OptionShape.Remount:
                case OptionShape.Chmod:
                    foreach (var (item, itemKey) in Elements(value, key))
                        profile.PathChanges.Add(Operation(spec, item, itemKey));
                    break;
                default:
                    foreach (var (item, itemKey) in Elements(value, key))
                    {
                        var op = Operation(spec, item, itemKey);
                        if (destinations.TryGetValue(op.Destination, out var first))
                            throw Error(item.Location, itemKey, $"{op.Destination} is already a mount destination at line {first.Line}; one file may mount a path once");
                        destinations[op.Destination] = item.Location;
                        profile.Mounts.Add(op);
                    }
                    break;
            }
        }
    }

    private static void ApplyStop(StopSettings stop, TomlNode table)
    {
        foreach (var entry in table.Entries)
        {
            string key = "stop." + entry.Key;
            var value = entry.Value;
            switch (entry.Key)
            {
                case "relay":
                    stop.Relay = Expect(value, TomlKind.Boolean, key, "true or false").Boolean;
                    break;
                case "signal":
                    string name = value.Kind == TomlKind.Integer ? value.Integer.ToString(System.Globalization.CultureInfo.InvariantCulture) : Text(value, key);
                    stop.Signal = Interop.Signals.Parse(name) is int signal && signal != Interop.Signals.Kill ? signal
                        : throw Error(value.Location, key, $"\"{name}\" is not a signal a daemon can handle, such as \"TERM\" or \"INT\"");
                    break;
                case "timeout":
                    stop.Timeout = Seconds(value, key);
                    break;
                case "wait":
                    stop.Wait = Seconds(value, key);
                    break;
                case "state":
                    stop.StateRoot = AbsolutePath(value, key);
                    break;
                default:
                    throw Unknown(entry, key, StopKeys);
            }
        }
    }

    private static int Seconds(TomlNode node, string key)
    {
        long seconds = Expect(node, TomlKind.Integer, key, "a number of seconds").Integer;
        return seconds is >= 0 and <= 86400 ? (int)seconds : throw Error(node.Location, key, $"{seconds} is not between 0 and 86400 seconds");
    }

    private static void AppendList(Profile profile, OptionSpec spec, TomlNode value, string key)
    {
        if (!profile.Lists.TryGetValue(spec.Name, out var list))
            profile.Lists[spec.Name] = list = [];
        foreach (var (item, itemKey) in Elements(value, key))
        {
            string text = spec.Shape switch
            {
                OptionShape.PathList => AbsolutePath(item, itemKey),
                OptionShape.Capabilities => Capability(item, itemKey),
                _ => VariableName(item, itemKey),
            };
            list.Add(new(text, item.Location));
        }
    }

    private static void ApplyEnvironment(Profile profile, TomlNode table, string key)
    {
        foreach (var entry in table.Entries)
        {
            string name = VariableName(new TomlNode { Kind = TomlKind.String, String = entry.Key, Location = entry.KeyLocation }, key);
            var value = new Located<string>(Text(entry.Value, key + "." + entry.Key), entry.Value.Location);
            int index = profile.Environment.FindIndex(e => e.Key == name);
            if (index >= 0)
                profile.Environment[index] = new(name, value);
            else
                profile.Environment.Add(new(name, value));
        }
    }

    /// <summary>A single value or an array of values, each with its own key for messages.</summary>
    private static IEnumerable<(TomlNode, string)> Elements(TomlNode value, string key)
    {
        if (value.Kind != TomlKind.Array)
        {
            yield return (value, key);
            yield break;
        }
        for (int i = 0; i < value.Items.Count; i++)
            yield return (value.Items[i], $"{key}[{i}]");
    }

    private static MountOp Operation(OptionSpec spec, TomlNode item, string key)
    {
        switch (spec.Shape)
        {
            case OptionShape.Mount:
            case OptionShape.Remount:
            {
                string path = AbsolutePath(item, key);
                return new(spec.Name, [path], Destination(path, item, key), null, 0, [], item.Location);
            }
            case OptionShape.CreatedMount:
            {
                if (item.Kind != TomlKind.Table)
                {
                    string path = AbsolutePath(item, key);
                    return new(spec.Name, [path], Destination(path, item, key), null, 0, [], item.Location);
                }
                var fields = Fields(item, key, spec.Name == "tmpfs" ? ["path", "perms", "size"] : ["path", "perms"]);
                string dest = AbsolutePath(Required(fields, "path", item, key), key + ".path");
                string? perms = Optional(fields, "perms") is { } p ? Octal(p, key + ".perms") : null;
                long size = Optional(fields, "size") is { } s ? Size(s, key + ".size") : 0;
                return new(spec.Name, [dest], Destination(dest, item, key), perms, size, [], item.Location);
            }
            case OptionShape.Bind:
            {
                if (item.Kind != TomlKind.Table)
                {
                    string path = AbsolutePath(item, key);
                    return new(spec.Name, [path, path], Destination(path, item, key), null, 0, [], item.Location);
                }
                var fields = Fields(item, key, ["from", "to"]);
                string from = AbsolutePath(Required(fields, "from", item, key), key + ".from");
                string to = AbsolutePath(Required(fields, "to", item, key), key + ".to");
                return new(spec.Name, [from, to], Destination(to, item, key), null, 0, [], item.Location);
            }
            case OptionShape.Symlink:
            {
                if (item.Kind != TomlKind.Table)
                    throw Error(item.Location, key, "must be { from = \"target\", to = \"/link\" }: a link to itself would be of no use");
                var fields = Fields(item, key, ["from", "to"]);
                string target = NonEmpty(Required(fields, "from", item, key), key + ".from");
                string link = AbsolutePath(Required(fields, "to", item, key), key + ".to");
                return new(spec.Name, [target, link], Destination(link, item, key), null, 0, [], item.Location);
            }
            case OptionShape.Chmod:
            {
                var fields = Fields(Expect(item, TomlKind.Table, key, "{ mode = \"0755\", path = \"/path\" }"), key, ["mode", "path"]);
                string mode = Octal(Required(fields, "mode", item, key), key + ".mode");
                string path = AbsolutePath(Required(fields, "path", item, key), key + ".path");
                return new(spec.Name, [mode, path], Destination(path, item, key), null, 0, [], item.Location);
            }
            default:
            {
                bool readWrite = spec.Name == "overlay";
                string[] allowed = readWrite ? ["sources", "rw", "work", "to"] : ["sources", "to"];
                var fields = Fields(Expect(item, TomlKind.Table, key, "{ sources = [...], to = \"/path\" }"), key, allowed);
                var sourcesNode = Expect(Required(fields, "sources", item, key), TomlKind.Array, key + ".sources", "an array of absolute paths");
                if (sourcesNode.Items.Count == 0)
                    throw Error(sourcesNode.Location, key + ".sources", "needs at least one path");
                var sources = new string[sourcesNode.Items.Count];
                for (int i = 0; i < sources.Length; i++)
                    sources[i] = AbsolutePath(sourcesNode.Items[i], $"{key}.sources[{i}]");
                string to = AbsolutePath(Required(fields, "to", item, key), key + ".to");
                string[] operands = readWrite
                    ? [AbsolutePath(Required(fields, "rw", item, key), key + ".rw"), AbsolutePath(Required(fields, "work", item, key), key + ".work"), to]
                    : [to];
                return new(spec.Name, operands, Destination(to, item, key), null, 0, sources, item.Location);
            }
        }
    }

    /// <summary>Checks that an inline table has only the allowed keys; <see cref="Required"/> and <see cref="Optional"/> read them.</summary>
    private static TomlNode Fields(TomlNode table, string key, string[] allowed)
    {
        foreach (var entry in table.Entries)
        {
            if (Array.IndexOf(allowed, entry.Key) < 0)
                throw Unknown(entry, key + "." + entry.Key, allowed);
        }
        return table;
    }

    /// <summary>A field of a table of a few keys: a scan, no dictionary per mount (TomlTree has refused duplicates).</summary>
    private static TomlNode? Optional(TomlNode table, string name)
    {
        foreach (var entry in table.Entries)
        {
            if (entry.Key == name)
                return entry.Value;
        }
        return null;
    }

    private static TomlNode Required(TomlNode fields, string name, TomlNode table, string key) =>
        Optional(fields, name) ?? throw Error(table.Location, key, $"missing \"{name}\"");

    /// <summary>A destination with its trailing and doubled slashes and "." removed; ".." is refused.</summary>
    private static string Destination(string path, TomlNode node, string key)
    {
        // Most paths are already in that form: keep the string rather than split and rejoin it.
        if (IsNormal(path))
            return path;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            if (part == "..")
                throw Error(node.Location, key, $"\"{path}\": \"..\" is not allowed in a path inside the sandbox");
            if (part != ".")
                kept.Add(part);
        }
        return "/" + string.Join('/', kept);
    }

    /// <summary>"/" or "/a/b": no empty, "." or ".." part and no trailing slash.</summary>
    private static bool IsNormal(string path)
    {
        if (path == "/")
            return true;
        var rest = path.AsSpan();
        while (rest.Length > 0)
        {
            rest = rest[1..]; // the slash before each part
            int end = rest.IndexOf('/');
            var part = end < 0 ? rest : rest[..end];
            if (part.IsEmpty || part is "." or "..")
                return false;
            rest = end < 0 ? default : rest[end..];
        }
        return true;
    }

    private static TomlNode Expect(TomlNode node, TomlKind kind, string key, string what) =>
        node.Kind == kind ? node : throw Error(node.Location, key, $"must be {what}, not {node.KindName}");

    private static string Text(TomlNode node, string key)
    {
        string text = Expect(node, TomlKind.String, key, "a string").String;
        if (text.Contains('\0'))
            throw Error(node.Location, key, "must not contain a NUL character");
        return text;
    }

    private static string NonEmpty(TomlNode node, string key)
    {
        string text = Text(node, key);
        return text.Length > 0 ? text : throw Error(node.Location, key, "must not be empty");
    }

    private static string AbsolutePath(TomlNode node, string key)
    {
        string path = Text(node, key);
        return path.StartsWith('/') ? path : throw Error(node.Location, key, $"\"{path}\" must be an absolute path");
    }

    private static string Id(TomlNode node, string key)
    {
        long id = Expect(node, TomlKind.Integer, key, "an integer").Integer;
        return id is >= 0 and < uint.MaxValue ? id.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw Error(node.Location, key, $"{id} is not a valid id");
    }

    private static string Octal(TomlNode node, string key)
    {
        string text = Text(node, key);
        bool valid = text.Length is > 0 and <= 5;
        foreach (char c in text)
            valid &= c is >= '0' and <= '7';
        return valid && System.Convert.ToInt32(text, 8) <= 0xFFF ? text
            : throw Error(node.Location, key, $"\"{text}\" must be an octal mode in a string, such as \"0755\"");
    }

    private static long Size(TomlNode node, string key)
    {
        long size = Expect(node, TomlKind.Integer, key, "a number of bytes").Integer;
        return size > 0 ? size : throw Error(node.Location, key, "must be a positive number of bytes");
    }

    private static string Capability(TomlNode node, string key)
    {
        string name = Text(node, key);
        if (name == "ALL" || Array.IndexOf(BwrapOptions.Capabilities, name) >= 0)
            return name;
        string? near = Nearest(name.ToUpperInvariant(), [.. BwrapOptions.Capabilities, "ALL"]);
        throw Error(node.Location, key, $"unknown capability \"{name}\"" + (near is null ? "" : $" (did you mean \"{near}\"?)"));
    }

    private static string VariableName(TomlNode node, string key)
    {
        string name = Text(node, key);
        return name.Length > 0 && !name.Contains('=') ? name
            : throw Error(node.Location, key, $"\"{name}\" is not an environment variable name");
    }

    private static SandboxerException Unknown(TomlEntry entry, string key, string[] known)
    {
        string? near = Nearest(entry.Key, known);
        return Error(entry.KeyLocation, key, "unknown key" + (near is null ? "" : $" (did you mean \"{near}\"?)"));
    }

    public static SandboxerException Error(Location at, string key, string why) =>
        SandboxerException.Config($"{at}: {key}: {why}");

    /// <summary>The known word closest to a typo, if it is close enough to be what was meant.</summary>
    private static string? Nearest(string word, string[] known)
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
