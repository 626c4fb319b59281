using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>[limits]: resource limits the daemon starts with, soft and hard alike, see <see cref="LimitsSettings"/>.</summary>
public sealed class LimitsSection : IProfileSection
{
    public string Name => "limits";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        foreach (var entry in table.Entries)
        {
            string key = "limits." + entry.Key;
            var resource = Array.Find(LimitsSettings.Resources, r => r.Name == entry.Key);
            if (resource.Name is null)
                throw Unknown(entry, key, LimitsSettings.Resources.Select(r => r.Name));
            ulong value = resource.IsSize ? Bytes(entry.Value, key) : Count(entry.Value, key);
            profile.Limits.Values[entry.Key] = new(value, entry.Value.Location);
        }
    }

    public void Validate(Profile profile, string spokeFile)
    {
    }

    private static ulong Count(TomlNode node, string key)
    {
        if (node.Kind == TomlKind.String && node.String == LimitsSettings.Unlimited)
            return LimitsSettings.Infinity;
        long count = Expect(node, TomlKind.Integer, key, $"an integer or \"{LimitsSettings.Unlimited}\"").Integer;
        return count >= 0 ? (ulong)count : throw Error(node.Location, key, "must not be negative");
    }

    /// <summary>An integer of bytes, or a string with a binary suffix: "512M", "64K", "2G".</summary>
    private static ulong Bytes(TomlNode node, string key)
    {
        if (node.Kind == TomlKind.Integer)
            return Count(node, key);
        string text = Expect(node, TomlKind.String, key, "a number of bytes, or a string such as \"512M\"").String;
        if (text == LimitsSettings.Unlimited)
            return LimitsSettings.Infinity;
        int shift = text.Length > 1 ? text[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => -1 } : -1;
        string digits = shift > 0 ? text[..^1] : text;
        if (shift < 0 && digits.Length > 0 && digits.All(char.IsAsciiDigit))
            shift = 0;
        if (shift < 0 || !ulong.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong number)
            || number > (ulong.MaxValue >> 1) >> shift)
            throw Error(node.Location, key, $"\"{text}\" is not a size such as \"512M\" (K, M, G, T: powers of 1024) or \"{LimitsSettings.Unlimited}\"");
        return number << shift;
    }
}

/// <summary>[limits]: setrlimit(2) values by key; each is set as both the soft and the hard limit, so the daemon cannot raise it.</summary>
public sealed class LimitsSettings
{
    public const string Unlimited = "unlimited";
    public const ulong Infinity = ulong.MaxValue;

    /// <summary>Keys, the RLIMIT_ number (the same on x86_64 and aarch64), and whether the value is bytes.</summary>
    public static readonly (string Name, int Resource, bool IsSize)[] Resources =
    [
        ("cpu", 0, false), ("fsize", 1, true), ("data", 2, true), ("stack", 3, true), ("core", 4, true),
        ("rss", 5, true), ("nproc", 6, false), ("nofile", 7, false), ("memlock", 8, true), ("as", 9, true),
        ("locks", 10, false), ("sigpending", 11, false), ("msgqueue", 12, true), ("nice", 13, false),
        ("rtprio", 14, false), ("rttime", 15, false),
    ];

    public Dictionary<string, Located<ulong>> Values { get; } = [];

    /// <summary>(key, resource, value) in the table's order, which is also the order they are set in.</summary>
    public List<(string Key, int Resource, ulong Value)> InOrder() =>
        [.. Resources.Where(r => Values.ContainsKey(r.Name)).Select(r => (r.Name, r.Resource, Values[r.Name].Value))];
}
