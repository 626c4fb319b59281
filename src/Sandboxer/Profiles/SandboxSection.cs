using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>[sandbox]: bwrap's own options, one key each (see <see cref="BwrapOptions"/>).</summary>
public sealed class SandboxSection : IProfileSection
{
    public string Name => "sandbox";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        // Two mounts of one file on the same destination would leave the winner to key order.
        var destinations = new Dictionary<string, Location>();
        foreach (var entry in table.Entries)
        {
            try
            {
                ApplyEntry(profile, entry, destinations);
            }
            catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
            {
                // check: go on with the next key.
            }
        }
    }

    private static void ApplyEntry(Profile profile, TomlEntry entry, Dictionary<string, Location> destinations)
    {
        string key = "sandbox." + entry.Key;
        var spec = BwrapOptions.Find(entry.Key);
        if (spec is null)
        {
            if (Array.IndexOf(BwrapOptions.DescriptorOptions, entry.Key) >= 0)
                throw Error(entry.KeyLocation, key, "takes a file descriptor, which a profile cannot give");
            throw Unknown(entry, key, BwrapOptions.All.Select(s => s.Name));
        }
        var value = entry.Value;
        switch (spec.Shape)
        {
            case OptionShape.Flag:
                profile.Flags[spec.Name] = new(Boolean(value, key), value.Location);
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

    public void Validate(Profile profile, string spokeFile)
    {
        if (profile.Values.TryGetValue("hostname", out var hostname) && !profile.IsSet("unshare-uts") && !profile.IsSet("unshare-all"))
            throw Error(hostname.Location, "sandbox.hostname", "needs its own UTS namespace: set unshare-uts or unshare-all");

        if (profile.Lists.TryGetValue("cap-add", out var added) && profile.Lists.TryGetValue("cap-drop", out var dropped))
        {
            // A set, not a scan per capability: a list may repeat a name thousands of times.
            var droppedNames = new HashSet<string>(dropped.Count);
            foreach (var cap in dropped)
                droppedNames.Add(cap.Value);
            foreach (var cap in added)
            {
                if (droppedNames.Contains(cap.Value))
                    throw Error(cap.Location, "sandbox.cap-add", $"{cap.Value} is also dropped: a capability is either added or dropped");
            }
        }
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
            profile.SetEnvironment(name, new Located<string>(Text(entry.Value, key + "." + entry.Key), entry.Value.Location));
        }
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
                string dest = AbsolutePath(Required(fields, "path", key), key + ".path");
                string? perms = Field(fields, "perms") is { } p ? Octal(p, key + ".perms") : null;
                long size = Field(fields, "size") is { } s ? Size(s, key + ".size") : 0;
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
                string from = AbsolutePath(Required(fields, "from", key), key + ".from");
                string to = AbsolutePath(Required(fields, "to", key), key + ".to");
                return new(spec.Name, [from, to], Destination(to, item, key), null, 0, [], item.Location);
            }
            case OptionShape.Symlink:
            {
                if (item.Kind != TomlKind.Table)
                    throw Error(item.Location, key, "must be { from = \"target\", to = \"/link\" }: a link to itself would be of no use");
                var fields = Fields(item, key, ["from", "to"]);
                string target = NonEmpty(Required(fields, "from", key), key + ".from");
                string link = AbsolutePath(Required(fields, "to", key), key + ".to");
                return new(spec.Name, [target, link], Destination(link, item, key), null, 0, [], item.Location);
            }
            case OptionShape.Chmod:
            {
                var fields = Fields(Expect(item, TomlKind.Table, key, "{ mode = \"0755\", path = \"/path\" }"), key, ["mode", "path"]);
                string mode = Octal(Required(fields, "mode", key), key + ".mode");
                string path = AbsolutePath(Required(fields, "path", key), key + ".path");
                return new(spec.Name, [mode, path], Destination(path, item, key), null, 0, [], item.Location);
            }
            default:
            {
                bool readWrite = spec.Name == "overlay";
                string[] allowed = readWrite ? ["sources", "rw", "work", "to"] : ["sources", "to"];
                var fields = Fields(Expect(item, TomlKind.Table, key, "{ sources = [...], to = \"/path\" }"), key, allowed);
                var sourcesNode = Expect(Required(fields, "sources", key), TomlKind.Array, key + ".sources", "an array of absolute paths");
                if (sourcesNode.Items.Count == 0)
                    throw Error(sourcesNode.Location, key + ".sources", "needs at least one path");
                var sources = new string[sourcesNode.Items.Count];
                for (int i = 0; i < sources.Length; i++)
                    sources[i] = AbsolutePath(sourcesNode.Items[i], $"{key}.sources[{i}]");
                string to = AbsolutePath(Required(fields, "to", key), key + ".to");
                string[] operands = readWrite
                    ? [AbsolutePath(Required(fields, "rw", key), key + ".rw"), AbsolutePath(Required(fields, "work", key), key + ".work"), to]
                    : [to];
                return new(spec.Name, operands, Destination(to, item, key), null, 0, sources, item.Location);
            }
        }
    }

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

    private static string Capability(TomlNode node, string key)
    {
        string name = Text(node, key);
        if (name == "ALL" || Array.IndexOf(BwrapOptions.Capabilities, name) >= 0)
            return name;
        throw Error(node.Location, key, $"unknown capability \"{name}\"" + Hints.DidYouMean(name.ToUpperInvariant(), [.. BwrapOptions.Capabilities, "ALL"]));
    }

    private static string VariableName(TomlNode node, string key)
    {
        string name = Text(node, key);
        return name.Length > 0 && !name.Contains('=') ? name
            : throw Error(node.Location, key, $"\"{name}\" is not an environment variable name");
    }
}
