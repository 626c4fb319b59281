using Sandboxer.Landlock;
using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>
/// [network]: `bind = [18080]`, `connect = [443, 53]` or `connect = "any"`, `best-effort`. As
/// with every array, a spoke's list adds to the hub's; "any" replaces a list, and a list cannot
/// narrow the hub's "any" (that would be silently ignored, so it is an error).
/// </summary>
public sealed class NetworkSection : IProfileSection
{
    private static readonly string[] Keys = ["bind", "connect", "best-effort"];
    private const string AnyPort = "any";

    public string Name => "network";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        var network = profile.Network;
        foreach (var entry in table.Entries)
        {
            string key = "network." + entry.Key;
            switch (entry.Key)
            {
                case "bind":
                    network.Bind = Ports(entry.Value, key, network.Bind);
                    break;
                case "connect":
                    network.Connect = Ports(entry.Value, key, network.Connect);
                    break;
                case "best-effort":
                    network.BestEffort = Boolean(entry.Value, key);
                    break;
                default:
                    throw Unknown(entry, key, Keys);
            }
        }
    }

    public void Validate(Profile profile, string spokeFile)
    {
        if (!profile.Stop.Relay && profile.Network.Restricting is var (key, at))
            throw Error(at, key, "is enforced by the stop relay inside the sandbox: it needs [stop] relay = true");
    }

    private static PortRule Ports(TomlNode value, string key, PortRule? earlier)
    {
        if (value.Kind == TomlKind.String)
        {
            return value.String == AnyPort ? new PortRule(true, [], value.Location)
                : throw Error(value.Location, key, $"\"{value.String}\" must be \"{AnyPort}\" or an array of TCP ports");
        }
        if (value.Kind != TomlKind.Array)
            throw Error(value.Location, key, $"must be an array of TCP ports or \"{AnyPort}\", not {value.KindName}");
        if (earlier is { Any: true })
            throw Error(value.Location, key, $"the hub allows any port ({earlier.At}): a list here would not restrict it");
        var ports = new SortedSet<int>(earlier?.Ports ?? []);
        var listed = new HashSet<long>();
        foreach (var (item, itemKey) in Elements(value, key))
        {
            long port = Expect(item, TomlKind.Integer, itemKey, "a TCP port from 1 to 65535").Integer;
            if (port is < NetworkRules.LowestPort or > NetworkRules.HighestPort)
                throw Error(item.Location, itemKey, $"{port} is not a TCP port from 1 to 65535");
            if (!listed.Add(port))
                throw Error(item.Location, itemKey, $"port {port} is listed twice");
            ports.Add((int)port);
        }
        return new PortRule(false, ports, value.Location);
    }
}
