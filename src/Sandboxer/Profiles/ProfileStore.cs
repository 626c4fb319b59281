namespace Sandboxer.Profiles;

/// <summary>Finds, checks and loads a service's profile over defaults.toml.</summary>
public static class ProfileStore
{
    public const string DefaultDirectory = "/etc/sandboxer";
    public const string HubName = "defaults";

    public static Profile Load(string directory, string name)
    {
        var profile = new Profile { Name = name };
        string hub = Path.Combine(directory, HubName + ".toml");
        string spoke = Path.Combine(directory, name + ".toml");
        ProfileReader.Apply(profile, TomlTree.Parse(Trust.ReadProfile(hub), hub), isHub: true);
        ProfileReader.Apply(profile, TomlTree.Parse(Trust.ReadProfile(spoke), spoke), isHub: false);
        Validate(profile, spoke);
        return profile;
    }

    /// <summary>Checks that span both files; bwrap would refuse these only once started.</summary>
    public static void Validate(Profile profile, string spokeFile)
    {
        if (profile.Command is null)
            throw SandboxerException.Config($"{spokeFile}: command: missing: a service's profile names the absolute path of its daemon");

        if (profile.Values.TryGetValue("hostname", out var hostname) && !profile.IsSet("unshare-uts") && !profile.IsSet("unshare-all"))
            throw ProfileReader.Error(hostname.Location, "sandbox.hostname", "needs its own UTS namespace: set unshare-uts or unshare-all");

        if (profile.Stop.Relay && profile.Lists.TryGetValue("lock-file", out var locks))
            throw ProfileReader.Error(locks[0].Location, "sandbox.lock-file",
                "bwrap refuses it with --as-pid-1, which the stop relay needs: set [stop] relay = false to use it");

        if (profile.Lists.TryGetValue("cap-add", out var added) && profile.Lists.TryGetValue("cap-drop", out var dropped))
        {
            foreach (var cap in added)
            {
                if (dropped.Exists(d => d.Value == cap.Value))
                    throw ProfileReader.Error(cap.Location, "sandbox.cap-add", $"{cap.Value} is also dropped: a capability is either added or dropped");
            }
        }
    }
}
