using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>
/// Applies one profile file to a <see cref="Profile"/>: the top-level keys here, each [table]
/// by its section. Anything it does not know is an error: a typo must never silently change a sandbox.
/// </summary>
public static class ProfileReader
{
    /// <summary>Every [table] a profile may have, each with its reader.</summary>
    public static readonly IProfileSection[] Sections =
        [new SandboxSection(), new StopSection(), new NetworkSection(), new ReadySection(), new SeccompSection(), new LimitsSection()];

    private static readonly string[] TopLevelKeys = ["bwrap", "command", "args"];

    private static IEnumerable<string> KnownKeys => TopLevelKeys.Concat(LibrarySettings.Keys).Concat(Sections.Select(s => s.Name));

    /// <param name="isHub">defaults.toml: no command or args of its own.</param>
    public static void Apply(Profile profile, TomlNode root, bool isHub)
    {
        foreach (var entry in root.Entries)
        {
            try
            {
                ApplyEntry(profile, entry, isHub);
            }
            catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
            {
                // check: go on with the next key.
            }
        }
    }

    private static void ApplyEntry(Profile profile, TomlEntry entry, bool isHub)
    {
        switch (entry.Key)
        {
            case "bwrap":
                profile.Bwrap = new(AbsolutePath(entry.Value, "bwrap"), entry.Value.Location);
                break;
            case "command":
                RefuseInHub(isHub, entry);
                profile.Command = new(AbsolutePath(entry.Value, "command"), entry.Value.Location);
                break;
            case "args":
                RefuseInHub(isHub, entry);
                profile.Args.Clear();
                foreach (var item in Expect(entry.Value, TomlKind.Array, "args", "an array of strings").Items)
                    profile.Args.Add(Text(item, "args"));
                break;
            case "libraries" or "executables" or "dlopen" or "runtime":
                LibrarySettings.Apply(profile, entry);
                break;
            default:
                var section = Array.Find(Sections, s => s.Name == entry.Key) ?? throw Unknown(entry, entry.Key, KnownKeys);
                section.Apply(profile, Expect(entry.Value, TomlKind.Table, section.Name, "a table"), isHub);
                break;
        }
    }

    private static void RefuseInHub(bool isHub, TomlEntry entry)
    {
        if (isHub)
            throw Error(entry.KeyLocation, entry.Key, "belongs in a service's profile, not in defaults.toml");
    }
}
