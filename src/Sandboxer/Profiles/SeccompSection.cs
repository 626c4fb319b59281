using Sandboxer.Seccomp;
using static Sandboxer.Profiles.TomlValues;

namespace Sandboxer.Profiles;

/// <summary>[seccomp]: the syscalls the daemon may make, see <see cref="SeccompSettings"/>.</summary>
public sealed class SeccompSection : IProfileSection
{
    private static readonly string[] Keys = ["allow", "deny", "action", "families"];

    public string Name => "seccomp";

    public void Apply(Profile profile, TomlNode table, bool isHub)
    {
        var seccomp = profile.Seccomp;
        seccomp.Present = true;
        TomlEntry? allow = null, deny = null;
        foreach (var entry in table.Entries)
        {
            string key = "seccomp." + entry.Key;
            switch (entry.Key)
            {
                case "allow":
                    allow = entry;
                    break;
                case "deny":
                    deny = entry;
                    break;
                case "action":
                    string text = Text(entry.Value, key);
                    seccomp.Action = SeccompAction.Parse(text) is { } action ? new(action, entry.Value.Location)
                        : throw Error(entry.Value.Location, key, $"\"{text}\" is not an errno name such as \"EPERM\", \"kill\" or \"log\"" + Hints.DidYouMean(text, SeccompAction.ErrnoNames.Keys));
                    break;
                case "families":
                    seccomp.Families ??= [];
                    foreach (var (item, itemKey) in Elements(entry.Value, key))
                    {
                        string name = Text(item, itemKey);
                        seccomp.Families.Add(SocketFamilies.Names.TryGetValue(name, out int family) ? family
                            : throw Error(item.Location, itemKey, $"\"{name}\" is not a socket family such as \"unix\", \"inet\" or \"inet6\"" + Hints.DidYouMean(name, SocketFamilies.Names.Keys)));
                    }
                    break;
                default:
                    throw Unknown(entry, key, Keys);
            }
        }
        // Within a file the denials narrow the allowances; a later file's allowance loosens both.
        AddRules(seccomp, allow, true);
        AddRules(seccomp, deny, false);
    }

    private static void AddRules(SeccompSettings seccomp, TomlEntry? entry, bool allow)
    {
        if (entry is not { } rules)
            return;
        foreach (var (item, itemKey) in Elements(rules.Value, "seccomp." + rules.Key))
        {
            string spec = NonEmpty(item, itemKey);
            // Fails closed here, where the error can name the file, line and key.
            if (SeccompPolicy.Resolve(SyscallTable.Current, spec, out string? why) is null)
                throw Error(item.Location, itemKey, why!);
            seccomp.Rules.Add((allow, spec));
        }
    }

    public void Validate(Profile profile, string spokeFile)
    {
    }
}

/// <summary>
/// [seccomp]: rules in the order hub allow, hub deny, spoke allow, spoke deny, the later
/// winning; without any allow, everything not denied is allowed. What a denied call gets
/// (EPERM unless said), and the socket families allowed (any unless said).
/// </summary>
public sealed class SeccompSettings
{
    public bool Present { get; set; }
    public List<(bool Allow, string Spec)> Rules { get; } = [];
    public Located<SeccompAction>? Action { get; set; }
    public List<int>? Families { get; set; }

    public SeccompPolicy Policy(SyscallTable table) =>
        SeccompPolicy.Build(table, Rules, Action?.Value ?? SeccompAction.Errno(SeccompAction.NotPermitted), Families?.ToArray());
}
