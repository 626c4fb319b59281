namespace Sandboxer.Profiles;

public readonly record struct Located<T>(T Value, Location Location);

/// <summary>
/// One filesystem operation: a mount (made in dependency order) or a change to a mounted
/// path (remount-ro, chmod: made after every mount).
/// </summary>
/// <param name="Option">The bwrap option without "--".</param>
/// <param name="Operands">Its operands, as written.</param>
/// <param name="Destination">The path inside the sandbox, normalised, for ordering.</param>
/// <param name="Perms">--perms for the operation (octal), if any.</param>
/// <param name="Size">--size for a tmpfs, in bytes, or 0.</param>
/// <param name="Sources">--overlay-src operands of an overlay.</param>
public sealed record MountOp(
    string Option,
    string[] Operands,
    string Destination,
    string? Perms,
    long Size,
    string[] Sources,
    Location Location);

/// <summary>
/// A service's sandbox: defaults.toml with the service's profile applied over it.
/// Scalars of the later file replace the earlier's; lists and mounts append.
/// </summary>
public sealed class Profile
{
    public const string DefaultBwrap = "/usr/bin/bwrap";

    public required string Name { get; init; }
    public Located<string>? Bwrap { get; set; }
    public Located<string>? Command { get; set; }
    public List<string> Args { get; } = [];
    public Dictionary<string, Located<bool>> Flags { get; } = [];
    /// <summary>Text, Path and Id options, as their operand.</summary>
    public Dictionary<string, Located<string>> Values { get; } = [];
    /// <summary>TextList, Capabilities and PathList options, in order.</summary>
    public Dictionary<string, List<Located<string>>> Lists { get; } = [];
    /// <summary>setenv, in first-definition order; a later value for a name replaces the earlier.</summary>
    public List<KeyValuePair<string, Located<string>>> Environment { get; } = [];
    // Where each name is in Environment: a spoke's value replaces the hub's in constant time.
    private readonly Dictionary<string, int> environmentIndex = [];
    public List<MountOp> Mounts { get; } = [];
    public List<MountOp> PathChanges { get; } = [];

    public StopSettings Stop { get; } = new();
    public SeccompSettings Seccomp { get; } = new();
    public LimitsSettings Limits { get; } = new();
    public NetworkSettings Network { get; } = new();
    public ReadySettings Ready { get; } = new();
    public LibrarySettings Libraries { get; } = new();

    /// <summary>Where the readers report errors: the first one throws, unless check collects them.</summary>
    public ProfileDiagnostics Diagnostics { get; init; } = ProfileDiagnostics.Strict;

    public string BwrapPath => Bwrap?.Value ?? DefaultBwrap;

    public bool IsSet(string flag) => Flags.TryGetValue(flag, out var value) && value.Value;

    public void SetEnvironment(string name, Located<string> value)
    {
        if (environmentIndex.TryGetValue(name, out int index))
        {
            Environment[index] = new(name, value);
            return;
        }
        environmentIndex[name] = Environment.Count;
        Environment.Add(new(name, value));
    }
}

/// <summary>
/// [stop]: how the relay, Sandboxer itself as the sandbox's PID 1, stops the daemon when bwrap
/// dies, and where it keeps the lock and the PID that `sandboxer signal` uses.
/// </summary>
public sealed class StopSettings
{
    public const int DefaultTimeout = 30;
    public const string DefaultStateRoot = "/run/sandboxer";

    public bool Relay { get; set; } = true;
    public int Signal { get; set; } = Interop.Signals.Terminate;
    /// <summary>Seconds between the stop signal and SIGKILL.</summary>
    public int Timeout { get; set; } = DefaultTimeout;
    /// <summary>Seconds a start waits for the previous sandbox to end; by default the timeout and 10 more.</summary>
    public int? Wait { get; set; }
    /// <summary>The directory that holds each service's state directory, named after it.</summary>
    public string StateRoot { get; set; } = DefaultStateRoot;

    public int StartWait => Wait ?? Timeout + 10;

    public string StateDirectory(string name) => StateRoot.TrimEnd('/') + "/" + name;
}
