using Sandboxer.Profiles;
using static Sandboxer.Import.ProfileDraft;

namespace Sandboxer.Import;

/// <summary>The command a wrapper runs inside the sandbox: the daemon and its fixed arguments.</summary>
public sealed record DaemonCommand(string Command, List<string> Args);

/// <summary>
/// bwrap's argv back into profile keys, through <see cref="BwrapOptions"/> read the other way
/// round: an option written in a sourced file goes to the hub, one written in the script to the
/// spoke. An option the table does not have, or one that takes a descriptor, is a finding: the
/// reader stops there, since it cannot know how many operands follow.
/// </summary>
public static class ArgvReader
{
    /// <summary>Modifiers of the next option: they are not keys of their own.</summary>
    private static readonly string[] Modifiers = ["perms", "size", "overlay-src"];

    public static int Arity(OptionSpec spec) => spec.Shape switch
    {
        OptionShape.Flag => 0,
        OptionShape.Environment or OptionShape.Bind or OptionShape.Symlink or OptionShape.Chmod => 2,
        OptionShape.Overlay => spec.Name == "overlay" ? 3 : 1,
        _ => 1,
    };

    /// <returns>The daemon's command, or null when a finding made the argv unreadable.</returns>
    public static DaemonCommand? Read(IReadOnlyList<ShellWord> words, string script, ProfileDraft hub, ProfileDraft spoke, List<Finding> findings)
    {
        string? perms = null;
        string? size = null;
        var sources = new List<string>();
        ShellWord? modifier = null;
        var destinations = new Dictionary<ProfileDraft, Dictionary<string, Origin>> { [hub] = [], [spoke] = [] };
        int i = 0;
        for (; i < words.Count && words[i].Text.StartsWith("--", StringComparison.Ordinal); i++)
        {
            var word = words[i];
            if (word.Text == "--")
            {
                i++;
                break;
            }
            string name = word.Text[2..];
            var draft = word.At.File == script ? spoke : hub;
            if (Array.IndexOf(Modifiers, name) >= 0)
            {
                if (i + 1 >= words.Count)
                    return Fail(findings, word.At, $"{word.Text} takes 1 operand");
                string operand = words[++i].Text;
                if (name == "size" && !ulong.TryParse(operand, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                    return Fail(findings, word.At, $"--size {operand}: not a number of bytes");
                if (name == "perms")
                    perms = operand;
                else if (name == "size")
                    size = operand;
                else
                    sources.Add(operand);
                modifier ??= word;
                continue;
            }
            var spec = BwrapOptions.Find(name);
            if (spec is null)
            {
                return Array.IndexOf(BwrapOptions.DescriptorOptions, name) >= 0
                    ? Fail(findings, word.At, $"{word.Text} takes a file descriptor: a profile cannot give one (Sandboxer passes only the descriptors it makes itself)")
                    : Fail(findings, word.At, $"{word.Text}: not a bwrap option Sandboxer knows" + Hints.DidYouMean(name, BwrapOptions.All.Select(s => s.Name).Concat(Modifiers)));
            }
            int arity = Arity(spec);
            if (i + arity >= words.Count)
                return Fail(findings, word.At, $"{word.Text} takes {arity} operand{(arity == 1 ? "" : "s")}, and the command after them");
            var operands = words.Skip(i + 1).Take(arity).Select(w => w.Text).ToArray();
            i += arity;

            bool takesPerms = spec.Shape == OptionShape.CreatedMount;
            bool takesSize = spec.Name == "tmpfs";
            bool takesSources = spec.Shape == OptionShape.Overlay;
            if (perms is not null && !takesPerms || size is not null && !takesSize || sources.Count > 0 && !takesSources)
                return Fail(findings, modifier!.At, $"{modifier.Text} does not apply to the {word.Text} that follows it");
            if (takesSources && sources.Count == 0)
                return Fail(findings, word.At, $"{word.Text} needs --overlay-src before it");

            string key = spec.Name;
            switch (spec.Shape)
            {
                case OptionShape.Flag:
                    draft.Set(key, "true");
                    break;
                case OptionShape.Id:
                    if (!uint.TryParse(operands[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                        return Fail(findings, word.At, $"{word.Text} {operands[0]}: not a number");
                    draft.Set(key, operands[0]);
                    break;
                case OptionShape.Text:
                case OptionShape.Path:
                    draft.Set(key, String(operands[0]));
                    break;
                case OptionShape.TextList:
                case OptionShape.Capabilities:
                case OptionShape.PathList:
                case OptionShape.Remount:
                    draft.Append(key, String(operands[0]));
                    break;
                case OptionShape.Environment:
                    draft.SetEnvironment(operands[0], operands[1]);
                    break;
                case OptionShape.Chmod:
                    draft.Append(key, Table([("mode", String(operands[0])), ("path", String(operands[1]))]));
                    break;
                default:
                    string destination = operands[^1];
                    // bwrap would let the later mount hide the earlier; a profile says each destination once.
                    string normal = destination.Length > 1 ? destination.TrimEnd('/') : destination;
                    if (destinations[draft].TryGetValue(normal, out var first))
                        return Fail(findings, word.At, $"{destination} is already a mount destination at line {first.Line}: the later mount would hide the earlier, so keep one");
                    destinations[draft][normal] = word.At;
                    draft.Append(key, Mount(spec, operands, perms, size, sources));
                    break;
            }
            perms = size = null;
            sources.Clear();
            modifier = null;
        }
        if (modifier is not null)
            return Fail(findings, modifier.At, $"{modifier.Text} is not followed by the option it modifies");
        if (i >= words.Count)
            return Fail(findings, words.Count > 0 ? words[^1].At : new Origin(script, 1), "no command after bwrap's options");
        var command = words[i];
        if (!command.Text.StartsWith('/'))
            return Fail(findings, command.At, $"{command.Text}: bwrap would look the command up in the sandbox's PATH; a profile names it by absolute path");
        return new DaemonCommand(command.Text, words.Skip(i + 1).Select(w => w.Text).ToList());
    }

    private static string Mount(OptionSpec spec, string[] operands, string? perms, string? size, List<string> sources)
    {
        switch (spec.Shape)
        {
            case OptionShape.CreatedMount:
                if (perms is null && size is null)
                    return String(operands[0]);
                var fields = new List<(string, string)> { ("path", String(operands[0])) };
                if (perms is not null)
                    fields.Add(("perms", String(perms)));
                if (size is not null)
                    fields.Add(("size", size));
                return Table(fields);
            case OptionShape.Bind:
                return operands[0] == operands[1] ? String(operands[0]) : Table([("from", String(operands[0])), ("to", String(operands[1]))]);
            case OptionShape.Symlink:
                return Table([("from", String(operands[0])), ("to", String(operands[1]))]);
            case OptionShape.Overlay:
                var overlay = new List<(string, string)> { ("sources", "[" + string.Join(", ", sources.Select(String)) + "]") };
                if (spec.Name == "overlay")
                    overlay.AddRange([("rw", String(operands[0])), ("work", String(operands[1]))]);
                overlay.Add(("to", String(operands[^1])));
                return Table(overlay);
            default:
                return String(operands[0]);
        }
    }

    private static DaemonCommand? Fail(List<Finding> findings, Origin at, string why)
    {
        findings.Add(new Finding(at, why));
        return null;
    }
}
