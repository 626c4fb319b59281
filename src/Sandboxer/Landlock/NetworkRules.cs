using System.Globalization;

namespace Sandboxer.Landlock;

/// <summary>
/// The TCP ports a daemon may bind and connect to, as the relay applies them. A direction that
/// is null is not restricted; an empty list allows no port at all.
/// </summary>
/// <param name="Bind">Ports bind(2) may take, ascending, or null.</param>
/// <param name="Connect">Ports connect(2) may reach, ascending, or null.</param>
/// <param name="BestEffort">Start without the rules where the kernel cannot enforce them, with a warning.</param>
public sealed record NetworkRules(IReadOnlyList<int>? Bind, IReadOnlyList<int>? Connect, bool BestEffort)
{
    public const int LowestPort = 1, HighestPort = 65535;
    public const string BindKey = "network.bind", ConnectKey = "network.connect";
    /// <summary>How the relay's command line writes an empty list: no port at all.</summary>
    public const string NoPort = "none";

    public bool RestrictsAnything => Bind is not null || Connect is not null;

    /// <summary>The keys that restrict a direction, for messages: "network.bind, network.connect".</summary>
    public string Keys => string.Join(", ", new[] { Bind is null ? null : BindKey, Connect is null ? null : ConnectKey }.OfType<string>());

    /// <summary>"18080,18081", or <see cref="NoPort"/>.</summary>
    public static string Format(IReadOnlyList<int> ports) =>
        ports.Count == 0 ? NoPort : string.Join(',', ports.Select(p => p.ToString(CultureInfo.InvariantCulture)));

    /// <summary>What <see cref="Format"/> wrote, or null if it is not that.</summary>
    public static IReadOnlyList<int>? Parse(string text)
    {
        if (text == NoPort)
            return [];
        var ports = new SortedSet<int>();
        foreach (string part in text.Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < LowestPort or > HighestPort)
                return null;
            ports.Add(port);
        }
        return [.. ports];
    }

    public bool Equals(NetworkRules? other) =>
        other is not null && BestEffort == other.BestEffort && SameList(Bind, other.Bind) && SameList(Connect, other.Connect);

    public override int GetHashCode() => HashCode.Combine(BestEffort, Bind?.Count, Connect?.Count);

    private static bool SameList(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        a is null || b is null ? a is null && b is null : a.SequenceEqual(b);
}
