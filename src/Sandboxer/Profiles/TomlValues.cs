namespace Sandboxer.Profiles;

/// <summary>
/// The value checks every section shares: each returns the value or throws a configuration
/// error at the value's file:line:column, naming the key.
/// </summary>
public static class TomlValues
{
    public static TomlNode Expect(TomlNode node, TomlKind kind, string key, string what) =>
        node.Kind == kind ? node : throw Error(node.Location, key, $"must be {what}, not {node.KindName}");

    public static string Text(TomlNode node, string key)
    {
        string text = Expect(node, TomlKind.String, key, "a string").String;
        if (text.Contains('\0'))
            throw Error(node.Location, key, "must not contain a NUL character");
        return text;
    }

    public static string NonEmpty(TomlNode node, string key)
    {
        string text = Text(node, key);
        return text.Length > 0 ? text : throw Error(node.Location, key, "must not be empty");
    }

    public static bool Boolean(TomlNode node, string key) => Expect(node, TomlKind.Boolean, key, "true or false").Boolean;

    public static string AbsolutePath(TomlNode node, string key)
    {
        string path = Text(node, key);
        return path.StartsWith('/') ? path : throw Error(node.Location, key, $"\"{path}\" must be an absolute path");
    }

    public static string Id(TomlNode node, string key)
    {
        long id = Expect(node, TomlKind.Integer, key, "an integer").Integer;
        return id is >= 0 and < uint.MaxValue ? id.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw Error(node.Location, key, $"{id} is not a valid id");
    }

    /// <summary>Modes are octal strings, so that 755 cannot be taken for decimal.</summary>
    public static string Octal(TomlNode node, string key)
    {
        string text = Text(node, key);
        bool valid = text.Length is > 0 and <= 5;
        foreach (char c in text)
            valid &= c is >= '0' and <= '7';
        return valid && System.Convert.ToInt32(text, 8) <= 0xFFF ? text
            : throw Error(node.Location, key, $"\"{text}\" must be an octal mode in a string, such as \"0755\"");
    }

    public static long Size(TomlNode node, string key)
    {
        long size = Expect(node, TomlKind.Integer, key, "a number of bytes").Integer;
        return size > 0 ? size : throw Error(node.Location, key, "must be a positive number of bytes");
    }

    public static int Seconds(TomlNode node, string key)
    {
        long seconds = Expect(node, TomlKind.Integer, key, "a number of seconds").Integer;
        return seconds is >= 0 and <= 86400 ? (int)seconds : throw Error(node.Location, key, $"{seconds} is not between 0 and 86400 seconds");
    }

    /// <summary>A single value or an array of values, each with its own key for messages.</summary>
    public static IEnumerable<(TomlNode Node, string Key)> Elements(TomlNode value, string key)
    {
        if (value.Kind != TomlKind.Array)
        {
            yield return (value, key);
            yield break;
        }
        for (int i = 0; i < value.Items.Count; i++)
            yield return (value.Items[i], $"{key}[{i}]");
    }

    /// <summary>Checks that an inline table has only the allowed keys; <see cref="Field"/> reads them.</summary>
    public static TomlNode Fields(TomlNode table, string key, string[] allowed)
    {
        foreach (var entry in table.Entries)
        {
            if (Array.IndexOf(allowed, entry.Key) < 0)
                throw Unknown(entry, key + "." + entry.Key, allowed);
        }
        return table;
    }

    /// <summary>A field of a table of a few keys: a scan, no dictionary per mount (TomlTree has refused duplicates).</summary>
    public static TomlNode? Field(TomlNode table, string name)
    {
        foreach (var entry in table.Entries)
        {
            if (entry.Key == name)
                return entry.Value;
        }
        return null;
    }

    public static TomlNode Required(TomlNode table, string name, string key) =>
        Field(table, name) ?? throw Error(table.Location, key, $"missing \"{name}\"");

    public static SandboxerException Unknown(TomlEntry entry, string key, IEnumerable<string> known) =>
        Error(entry.KeyLocation, key, "unknown key" + Hints.DidYouMean(entry.Key, known));

    public static SandboxerException Error(Location at, string key, string why) =>
        new(ExitCodes.Config, $"{at}: {key}: {why}") { At = at, Key = key, Why = why };
}
