namespace Sandboxer.Profiles;

/// <summary>
/// One [table] of a profile: it knows its keys, fills its part of <see cref="Profile"/> from
/// each file in turn (hub, then spoke), and checks what only both files together can tell.
/// </summary>
public interface IProfileSection
{
    /// <summary>The table's name in TOML: "sandbox", "stop".</summary>
    string Name { get; }

    void Apply(Profile profile, TomlNode table, bool isHub);

    /// <summary>Checks across both files, once the spoke has been applied over the hub.</summary>
    void Validate(Profile profile, string spokeFile);
}
