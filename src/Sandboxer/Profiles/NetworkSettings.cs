using Sandboxer.Landlock;

namespace Sandboxer.Profiles;

/// <summary>One direction of [network]: "any" port, or only those listed (none for an empty list).</summary>
/// <param name="At">Where the file that set it last says so.</param>
public sealed record PortRule(bool Any, SortedSet<int> Ports, Location At);

/// <summary>
/// [network]: the TCP ports the daemon may bind and connect to, enforced by the relay with
/// Landlock. A direction with no key anywhere is not restricted.
/// </summary>
public sealed class NetworkSettings
{
    public PortRule? Bind { get; set; }
    public PortRule? Connect { get; set; }
    public bool BestEffort { get; set; }

    public NetworkRules Rules => new(Allowed(Bind), Allowed(Connect), BestEffort);

    /// <summary>The first key that restricts a direction and where it is set, for messages; null if none does.</summary>
    public (string Key, Location At)? Restricting =>
        Bind is { Any: false } bind ? (NetworkRules.BindKey, bind.At)
        : Connect is { Any: false } connect ? (NetworkRules.ConnectKey, connect.At)
        : null;

    private static IReadOnlyList<int>? Allowed(PortRule? rule) => rule is null || rule.Any ? null : [.. rule.Ports];
}
