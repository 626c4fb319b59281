using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>
/// The top-level keys that bind a daemon's shared libraries for it (see <see cref="Elf.LibraryPlan"/>):
/// libraries = "auto" | "none", executables = [...], dlopen = [...], runtime = [...]. Like every
/// key, a scalar of the spoke replaces the hub's and an array appends.
/// </summary>
public sealed class LibrarySettings
{
    public static readonly string[] Keys = ["libraries", "executables", "dlopen", "runtime"];
    private static readonly string[] Modes = ["auto", "none"];

    /// <summary>"auto" or "none" (the default: the profile binds what it needs itself).</summary>
    public Located<string>? Mode { get; set; }
    public List<Located<string>> Executables { get; } = [];
    /// <summary>Names (found by the loader's rules) or absolute paths of libraries loaded at run time.</summary>
    public List<Located<string>> Dlopen { get; } = [];
    /// <summary>What the program's libc and libraries open at run time, by name (<see cref="Elf.RuntimeFiles.Names"/>).</summary>
    public List<Located<string>> Runtime { get; } = [];

    public bool Auto => Mode?.Value == "auto";

    public static void Apply(Profile profile, TomlEntry entry)
    {
        var settings = profile.Libraries;
        var value = entry.Value;
        switch (entry.Key)
        {
            case "libraries":
                string mode = Text(value, entry.Key);
                settings.Mode = Array.IndexOf(Modes, mode) >= 0 ? new(mode, value.Location)
                    : throw Error(value.Location, entry.Key, $"\"{mode}\" must be \"auto\" or \"none\"" + Hints.DidYouMean(mode, Modes));
                break;
            case "executables":
                foreach (var (item, key) in Elements(Expect(value, TomlKind.Array, entry.Key, "an array of absolute paths"), entry.Key))
                    settings.Executables.Add(new(AbsolutePath(item, key), item.Location));
                break;
            case "dlopen":
                foreach (var (item, key) in Elements(Expect(value, TomlKind.Array, entry.Key, "an array of library names"), entry.Key))
                {
                    string name = NonEmpty(item, key);
                    if (name.Contains('/') && !name.StartsWith('/'))
                        throw Error(item.Location, key, $"\"{name}\" must be a library's name (\"libnss_dns.so.2\") or an absolute path");
                    settings.Dlopen.Add(new(name, item.Location));
                }
                break;
            case "runtime":
                foreach (var (item, key) in Elements(Expect(value, TomlKind.Array, entry.Key, "an array of names"), entry.Key))
                {
                    string name = Text(item, key);
                    if (Array.IndexOf(Elf.RuntimeFiles.Names, name) < 0)
                        throw Error(item.Location, key, $"\"{name}\" is not one of {string.Join(", ", Elf.RuntimeFiles.Names.Select(n => $"\"{n}\""))}" + Hints.DidYouMean(name, Elf.RuntimeFiles.Names));
                    if (!settings.Runtime.Exists(r => r.Value == name))
                        settings.Runtime.Add(new(name, item.Location));
                }
                break;
        }
    }

    /// <summary>executables, dlopen and runtime only mean something when libraries are resolved.</summary>
    public static void Validate(Profile profile)
    {
        var settings = profile.Libraries;
        if (settings.Auto)
            return;
        if (settings.Executables.Count > 0)
            throw Error(settings.Executables[0].Location, "executables", "needs libraries = \"auto\"");
        if (settings.Dlopen.Count > 0)
            throw Error(settings.Dlopen[0].Location, "dlopen", "needs libraries = \"auto\"");
        if (settings.Runtime.Count > 0)
            throw Error(settings.Runtime[0].Location, "runtime", "needs libraries = \"auto\"");
    }
}
