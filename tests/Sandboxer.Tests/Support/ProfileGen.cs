using System.Text;
using CsCheck;
using Sandboxer.Profiles;

namespace Sandboxer.Tests.Support;

/// <summary>One mount a generated profile writes: the option, where it goes, and its source or target.</summary>
public sealed record GeneratedMount(string Option, string Destination, string Source);

/// <summary>
/// A valid profile file (hub or spoke) as data, written out as TOML. Its strings are chosen to
/// be awkward for sh and TOML alike: quotes, $, backslashes, newlines, control characters,
/// non-ASCII and bidirectional overrides.
/// </summary>
public sealed record GeneratedFile(
    bool?[] Flags,
    (string Name, string Value)[] Environment,
    GeneratedMount[] Mounts,
    string[] Args,
    string? Chdir)
{
    /// <summary>The flag options, in BwrapOptions' order (Flags[i] is the value of FlagNames[i], null when not written).</summary>
    public static readonly string[] FlagNames =
        [.. BwrapOptions.All.Where(o => o.Shape == OptionShape.Flag).Select(o => o.Name)];

    /// <summary>The file's TOML; <paramref name="top"/> goes first (bwrap, command).</summary>
    public string ToToml(string top = "")
    {
        var toml = new StringBuilder(top);
        if (Args.Length > 0)
            toml.Append("args = [").AppendJoin(", ", Args.Select(Quote)).Append("]\n");
        toml.Append("[sandbox]\n");
        for (int i = 0; i < Flags.Length; i++)
        {
            if (Flags[i] is bool value)
                toml.Append($"{FlagNames[i]} = {(value ? "true" : "false")}\n");
        }
        if (Chdir is not null)
            toml.Append($"chdir = {Quote(Chdir)}\n");
        if (Environment.Length > 0)
            toml.Append("setenv = { ").AppendJoin(", ", Environment.Select(e => $"{Quote(e.Name)} = {Quote(e.Value)}")).Append(" }\n");
        foreach (var group in Mounts.GroupBy(m => m.Option))
            toml.Append($"{group.Key} = [").AppendJoin(", ", group.Select(Element)).Append("]\n");
        // Random mounts on / and /run would hide the relay's own directory, which the relay
        // refuses (RelayPlacementTests); the properties here are the composer's.
        return toml.Append("[stop]\nrelay = false\n").ToString();
    }

    public override string ToString() => ToToml();

    private static string Element(GeneratedMount m) => m.Option switch
    {
        "tmpfs" or "ro-bind" => Quote(m.Destination),
        "dir" => $"{{ path = {Quote(m.Destination)}, perms = \"0750\" }}",
        _ => $"{{ from = {Quote(m.Source)}, to = {Quote(m.Destination)} }}",
    };

    /// <summary>A TOML basic string: every control character escaped, everything else as it is.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c is '"' or '\\')
                quoted.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7f)
                quoted.Append($"\\u{(int)c:X4}");
            else
                quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }
}

public static class ProfileGen
{
    private static readonly string[] Atoms =
    [
        "a", "Z", "0", " ", "  ", "'", "\"", "\\", "$", "$HOME", "`id`", "$(id)", "!", "*", "?", "~", "#", ";", "&", "|",
        "<", ">", "(", ")", "{", "}", "=", "%s", "%", "\n", "\t", "\r", "\u0001", "\u001b[31m", "\u007f", "\u0085", "é", "€",
        "\U0001F600", "\u202e", "\u2066", "-", "/", ".",
    ];

    /// <summary>Any string of the awkward atoms, the empty one included.</summary>
    public static readonly Gen<string> Word = Gen.OneOf(Atoms).Array[0, 5].Select(string.Concat);

    /// <summary>Destinations that nest in one another, some in a form that normalises to another.</summary>
    public static readonly string[] Destinations =
        ["/", "/a", "/a/b", "/a/b/c", "/a/bc", "/ab", "/a/b/c/d", "/d", "/d/e/f", "/a/./b/", "//a//b", "/d/", "/x y/'q'"];

    private static readonly string[] MountOptions = ["tmpfs", "dir", "bind", "ro-bind", "symlink"];
    private static readonly string[] VariableNames = ["A", "PATH", "x y", "É", "LANG", "$X", "a\"b"];

    private static readonly Gen<GeneratedMount> Mount = Gen.Select(Gen.OneOf(MountOptions), Gen.OneOf(Destinations), Word,
        (option, destination, word) => new GeneratedMount(option, destination, option == "symlink" ? "t" + word : "/" + word));

    /// <summary>A file whose flags are drawn only from <paramref name="allowedFlags"/> (all by default).</summary>
    public static Gen<GeneratedFile> File(bool[]? allowedFlags = null) =>
        Gen.Select(
            Gen.OneOf<bool?>(null, true, false).Array[GeneratedFile.FlagNames.Length],
            Gen.Select(Gen.OneOf(VariableNames), Word).Array[0, 4],
            Mount.Array[0, 8],
            Word.Array[0, 3],
            Word.Select(w => "/" + w).Null(0.5),
            (flags, environment, mounts, args, chdir) => new GeneratedFile(
                [.. flags.Select((f, i) => allowedFlags is null || allowedFlags[i] ? f : null)],
                // One key per name in a TOML table, one mount per destination in a file.
                [.. environment.DistinctBy(e => e.Item1)],
                [.. mounts.DistinctBy(m => Normal(m.Destination))],
                args,
                chdir));

    /// <summary>A hub and a spoke; the spoke names no flag the hub names when <paramref name="disjointFlags"/>.</summary>
    public static Gen<(GeneratedFile Hub, GeneratedFile Spoke)> Pair(bool disjointFlags = false) =>
        // defaults.toml has no args: they belong to a service.
        File().Select(hub => hub with { Args = [] }).SelectMany(hub => File(disjointFlags ? [.. hub.Flags.Select(f => f is null)] : null).Select(spoke => (hub, spoke)));

    public const string Command = "command = \"/usr/bin/daemon\"\n";

    /// <summary>A destination as Sandboxer normalises it (the generator never writes "..").</summary>
    public static string Normal(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
}
