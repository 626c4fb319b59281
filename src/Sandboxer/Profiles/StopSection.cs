using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>[stop]: the stop relay, see <see cref="StopSettings"/>.</summary>
public sealed class StopSection : IProfileSection
{
    private static readonly string[] Keys = ["relay", "signal", "timeout", "wait", "state"];

    public string Name => "stop";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        foreach (var entry in table.Entries)
        {
            try
            {
                ApplyEntry(profile.Stop, entry);
            }
            catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
            {
                // check: go on with the next key.
            }
        }
    }

    private static void ApplyEntry(StopSettings stop, TomlEntry entry)
    {
        string key = "stop." + entry.Key;
        var value = entry.Value;
        switch (entry.Key)
        {
            case "relay":
                stop.Relay = Boolean(value, key);
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
                throw Unknown(entry, key, Keys);
        }
    }

    public void Validate(Profile profile, string spokeFile)
    {
        if (!profile.Stop.Relay)
            return;
        if (profile.Lists.TryGetValue("lock-file", out var locks))
            throw Error(locks[0].Location, "sandbox.lock-file",
                "bwrap refuses it with --as-pid-1, which the stop relay needs: set [stop] relay = false to use it");
        // A daemon that may ptrace could stop its own PID 1, and with it every stop.
        if (profile.Lists.TryGetValue("cap-add", out var added) && added.Find(c => c.Value is "CAP_SYS_PTRACE" or "ALL") is { Value: not null } ptrace)
            throw Error(ptrace.Location, "sandbox.cap-add",
                $"{ptrace.Value} would let the daemon freeze the stop relay, its PID 1, and outlive every stop: set [stop] relay = false to grant it");
        Composition.RelayPlacement.Check(profile.Mounts);
    }
}
