using System.Globalization;
using Sandboxer.Interop;
using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>[ready]: how the daemon's readiness reaches its supervisor, see <see cref="ReadySettings"/>.</summary>
public sealed class ReadySection : IProfileSection
{
    private static readonly string[] Keys = ["notify"];

    public string Name => "ready";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        var ready = profile.Ready;
        foreach (var entry in table.Entries)
        {
            string key = "ready." + entry.Key;
            switch (entry.Key)
            {
                case "notify":
                    (ready.Notify, ready.Descriptor) = Notify(entry.Value, key);
                    ready.Location = entry.Value.Location;
                    break;
                default:
                    throw Unknown(entry, key, Keys);
            }
        }
    }

    /// <summary>"fd:N" (N from 3 to 15, the numbers a descriptor can be passed on at), "socket" or "none".</summary>
    private static (ReadyNotify, int) Notify(TomlNode value, string key)
    {
        string text = Text(value, key);
        if (text == "socket")
            return (ReadyNotify.Socket, 0);
        if (text == "none")
            return (ReadyNotify.None, 0);
        if (text.StartsWith("fd:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
            && fd is >= ProcessImage.FirstPassed and <= ProcessImage.LastPassed)
            return (ReadyNotify.Descriptor, fd);
        throw Error(value.Location, key,
            $"\"{text}\" must be \"fd:N\" with N from {ProcessImage.FirstPassed} to {ProcessImage.LastPassed} (OpenRC's notify=fd:N), \"socket\" (sd_notify, OpenRC's notify=socket:ready) or \"none\"");
    }

    public void Validate(Profile profile, string spokeFile)
    {
        var ready = profile.Ready;
        if (ready.Notify != ReadyNotify.Socket)
            return;
        if (!profile.Stop.Relay)
            throw Error(ready.Location, "ready.notify",
                "\"socket\" needs the stop relay, which receives the daemon's notifications inside the sandbox and passes them on: set [stop] relay = true, or use \"fd:N\"");
        var set = profile.Environment.Find(v => v.Key == NotifySocketVariable);
        if (set.Key is not null)
            throw Error(set.Value.Location, "sandbox.setenv." + NotifySocketVariable,
                "[ready] notify = \"socket\" gives the daemon its own NOTIFY_SOCKET: do not set it");
    }

    public const string NotifySocketVariable = "NOTIFY_SOCKET";
}
