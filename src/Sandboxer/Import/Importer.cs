using System.Text;
using Sandboxer.Composition;
using Sandboxer.Profiles;

namespace Sandboxer.Import;

/// <summary>A profile import would write: its file name in the target directory and its text.</summary>
public sealed record ImportedFile(string FileName, string Text);

/// <summary>What becomes of a defaults.toml already in the target directory.</summary>
public enum HubChange
{
    /// <summary>None there (or no script gives one): written like any new file.</summary>
    Create,
    /// <summary>There, and it gives every script the same sandbox: left as it is.</summary>
    Keep,
    /// <summary>There, the package's as shipped: the imported hub, the admin's own policy, replaces it (kept as a backup).</summary>
    ReplacePackaged,
    /// <summary>There, the admin's own edit, and it would not give the scripts their sandbox: nothing is written.</summary>
    Conflict,
}

/// <summary>What import would write, what stops it (<see cref="Errors"/>: then nothing is written) and what it tells.</summary>
/// <param name="GivenUp">For <see cref="HubChange.ReplacePackaged"/>: what the package's hub set that the imported one does not.</param>
public sealed record ImportPlan(List<ImportedFile> Files, List<Finding> Errors, List<Finding> Notes, HubChange Hub = HubChange.Create, List<string>? GivenUp = null);

/// <summary>
/// Wrapper scripts to profiles: each script is read (<see cref="ShellReader"/>), its bwrap
/// argv turned into keys (<see cref="ArgvReader"/>), and the profiles it gives are loaded and
/// composed here, in memory, and compared with the script's own argv. A script whose profile
/// would not compose the same sandbox is a finding, not a file.
/// </summary>
public static class Importer
{
    public const string ScriptPrefix = "bwrap-";

    /// <param name="open">Reads a script or a file it sources.</param>
    /// <param name="existingHub">defaults.toml already in the target directory: kept when every script composes the same with it.</param>
    /// <param name="packagedHub">
    /// The defaults.toml the package ships, as it ships it: an existing hub with this text is the
    /// package's, not the admin's, and the scripts' shared options (the admin's policy) supersede it,
    /// as an admin's edit supersedes a conffile.
    /// </param>
    public static ImportPlan Plan(IReadOnlyList<string> scripts, Func<string, string> open, string? existingHub = null, string? packagedHub = null)
    {
        var hubChange = HubChange.Create;
        List<string>? givenUp = null;
        var errors = new List<Finding>();
        var notes = new List<Finding>();
        var read = new List<ShellScript>();
        foreach (var path in scripts)
        {
            var (script, refused) = ShellReader.Read(path, open);
            if (refused is not null)
                errors.Add(refused);
            else
                read.Add(script!);
        }
        var sourced = read.SelectMany(s => s.Sourced).ToHashSet();

        var files = new List<ImportedFile>();
        var hubs = new List<(string Text, ShellScript From, List<string> Argv)>();
        var spokes = new List<(string Name, string Text, ShellScript From, List<string> Argv)>();
        foreach (var script in read)
        {
            if (script.Exec is null)
            {
                // bwrap-defaults, given with the wrappers by a glob such as /usr/local/bin/bwrap-*.
                if (!sourced.Contains(script.Path))
                    errors.Add(new Finding(new Origin(script.Path, 1), "runs no bwrap: neither a wrapper script nor a file one of them sources"));
                continue;
            }
            string? name = ServiceName(script.Path, errors);
            if (name is null)
                continue;
            if (spokes.Exists(s => s.Name == name))
            {
                errors.Add(new Finding(script.Exec.At, $"a second script for the service {name}"));
                continue;
            }
            var hub = new ProfileDraft();
            var spoke = new ProfileDraft();
            var daemon = ArgvReader.Read(script.Exec.Args, script.Path, hub, spoke, errors);
            if (daemon is null)
                continue;

            hub.Comment($"Imported by sandboxer import from {(script.Sourced.Count > 0 ? string.Join(", ", script.Sourced) : script.Path)}.");
            foreach (var comment in script.Comments.Where(c => c.At.File != script.Path))
                hub.Comment(comment.Text);
            hub.Top("bwrap", ProfileDraft.String(Profile.DefaultBwrap));
            if (script.Sourced.Count == 0)
                notes.Add(new Finding(script.Exec.At, "sources no shared file: the options all go to the service's profile, and defaults.toml sets only bwrap"));

            spoke.Comment($"Imported by sandboxer import from {script.Path}.");
            foreach (var comment in script.Comments.Where(c => c.At.File == script.Path))
                spoke.Comment(comment.Text);
            string program = script.Exec.Program.Text;
            if (program.StartsWith('/') && program != Profile.DefaultBwrap)
                spoke.Top("bwrap", ProfileDraft.String(program));
            else if (!program.StartsWith('/'))
                notes.Add(new Finding(script.Exec.Program.At, $"the script finds {program} in PATH; Sandboxer runs {Profile.DefaultBwrap} (set bwrap to change it)"));
            spoke.Top("command", ProfileDraft.String(daemon.Command));
            if (daemon.Args.Count > 0)
                spoke.Top("args", ProfileDraft.List(daemon.Args.Select(ProfileDraft.String).ToList()));
            if (!script.Exec.PassesCallerArgs)
                notes.Add(new Finding(script.Exec.At, $"the script drops its caller's arguments; {ScriptPrefix}{name} passes them to the daemon after args"));

            var argv = script.Exec.Args.Select(w => w.Text).ToList();
            hubs.Add((hub.Render(), script, argv));
            spokes.Add((name, spoke.Render(), script, argv));
        }

        // One hub for all: scripts that share a policy must share the same one.
        string? hubText = null;
        if (hubs.Count > 0)
        {
            var (first, from, _) = hubs[0];
            foreach (var (text, script, _) in hubs.Skip(1))
            {
                if (text != first)
                    errors.Add(new Finding(script.Exec!.At, $"its shared options differ from {from.Path}'s, and all share one defaults.toml: import it on its own, with --into another directory"));
            }
            hubText = first;
            if (existingHub is not null && spokes.TrueForAll(s => Verify(s.Name, existingHub, s.Text, s.Argv) is null))
            {
                notes.Add(new Finding(new Origin(ProfileStore.HubName + ".toml", 1), "already there, and gives every imported script the same sandbox: kept"));
                hubText = existingHub;
                hubChange = HubChange.Keep;
            }
            else
            {
                files.Add(new ImportedFile(ProfileStore.HubName + ".toml", hubText));
                if (existingHub is not null && existingHub == packagedHub)
                {
                    hubChange = HubChange.ReplacePackaged;
                    givenUp = GivenUp(packagedHub, hubText);
                }
                else if (existingHub is not null)
                    hubChange = HubChange.Conflict;
            }
        }
        foreach (var (name, text, script, argv) in spokes)
        {
            if (hubText is not null && Verify(name, hubText, text, argv) is { } why)
                errors.Add(new Finding(script.Exec!.At, why));
            files.Add(new ImportedFile(name + ".toml", text));
        }
        return new ImportPlan(files, errors, notes, hubChange, givenUp);
    }

    /// <summary>
    /// The keys (a [sandbox] key by its name, any other as section.key) and whole [sections] that
    /// <paramref name="replaced"/> sets and <paramref name="replacement"/> does not set to the same
    /// value: what a hub gives up by the change. A string and an array of that one string are the
    /// same value, as profiles read them.
    /// </summary>
    public static List<string> GivenUp(string replaced, string replacement)
    {
        var theirs = TomlTree.Parse(replaced, "replaced");
        var ours = TomlTree.Parse(replacement, "replacement");
        var lost = new List<string>();
        foreach (var entry in theirs.Entries)
        {
            var kept = ours.Find(entry.Key)?.Value;
            if (entry.Value.Kind != TomlKind.Table)
            {
                if (kept is null || Canonical(kept) != Canonical(entry.Value))
                    lost.Add(entry.Key);
                continue;
            }
            if (kept is null || kept.Kind != TomlKind.Table)
            {
                lost.Add($"[{entry.Key}]");
                continue;
            }
            foreach (var key in entry.Value.Entries)
            {
                var same = kept.Find(key.Key)?.Value;
                if (same is null || Canonical(same) != Canonical(key.Value))
                    lost.Add(entry.Key == "sandbox" ? key.Key : $"{entry.Key}.{key.Key}");
            }
        }
        return lost;
    }

    private static string Canonical(TomlNode node) => node.Kind switch
    {
        TomlKind.String => "s" + ProfileDraft.String(node.String),
        TomlKind.Boolean => node.Boolean ? "true" : "false",
        TomlKind.Integer => node.Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        TomlKind.Array when node.Items.Count == 1 => Canonical(node.Items[0]),
        TomlKind.Array => "[" + string.Join(",", node.Items.Select(Canonical)) + "]",
        TomlKind.Table => "{" + string.Join(",", node.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => ProfileDraft.Key(e.Key) + "=" + Canonical(e.Value))) + "}",
        _ => "?" + node.Location,
    };

    /// <summary>A script's bytes as text: a wrapper is read, never run, so bytes that are not UTF-8 are refused rather than guessed at.</summary>
    public static string Text(byte[] bytes, string path)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SandboxerException(ExitCodes.DataError, $"{path}: not valid UTF-8");
        }
    }

    /// <summary>bwrap-NAME gives NAME; any other file name must itself be a profile name.</summary>
    private static string? ServiceName(string path, List<Finding> errors)
    {
        string file = Path.GetFileName(path);
        string name = file.StartsWith(ScriptPrefix, StringComparison.Ordinal) ? file[ScriptPrefix.Length..] : file;
        try
        {
            return Cli.CommandLine.CheckName(name, file);
        }
        catch (SandboxerException e)
        {
            errors.Add(new Finding(new Origin(path, 1), e.Message));
            return null;
        }
    }

    /// <summary>
    /// Loads the two texts as run would (without the relay, which the script did not have) and
    /// compares the argv they compose with the script's: null when they are the same sandbox.
    /// </summary>
    public static string? Verify(string name, string hubText, string spokeText, IReadOnlyList<string> scriptArgv)
    {
        var profile = new Profile { Name = name };
        string hubFile = ProfileStore.HubName + ".toml", spokeFile = name + ".toml";
        try
        {
            ProfileReader.Apply(profile, TomlTree.Parse(hubText, hubFile), isHub: true);
            ProfileReader.Apply(profile, TomlTree.Parse(spokeText, spokeFile), isHub: false);
            ProfileStore.Validate(profile, spokeFile);
            return Compare(profile, [], scriptArgv);
        }
        catch (SandboxerException e)
        {
            return "the profile it gives is refused: " + e.Message;
        }
    }

    /// <summary>
    /// Null when <paramref name="profile"/>, without the relay (which a script does not have),
    /// composes the sandbox <paramref name="scriptArgv"/> (bwrap's arguments) makes; else how they differ.
    /// </summary>
    /// <param name="libraries">What libraries = "auto" binds (<see cref="Elf.LibraryPlan"/>): mounts like the profile's own.</param>
    public static string? Compare(Profile profile, IReadOnlyList<MountOp> libraries, IReadOnlyList<string> scriptArgv)
    {
        var composed = Composer.Compose(profile, Composer.Daemon(profile, []), null, libraries: libraries).Skip(1).Select(Encoding.UTF8.GetString).ToList();
        var ours = Units.Of(composed);
        var theirs = Units.Of(scriptArgv);
        if (theirs.Inversion is { } inversion)
            return inversion;
        if (!ours.Options.SequenceEqual(theirs.Options))
            return $"the profile would compose other options ({string.Join(' ', ours.Options.Except(theirs.Options).Concat(theirs.Options.Except(ours.Options)))})";
        if (MountOrderDiffers(ours.Mounts, theirs.Mounts) is { } order)
            return "the profile would make the mounts in another order (Sandboxer mounts a parent directory before what is mounted inside it, the hub's before the service's): " + order;
        if (!ours.Command.SequenceEqual(theirs.Command))
            return "the profile would run another command line";
        return null;
    }

    /// <summary>
    /// Null when both make the same mounts and every two of them on the same path or on a path and
    /// one inside it come in the same order; mounts on unrelated paths may come in any order, as a
    /// profile groups them by key.
    /// </summary>
    private static string? MountOrderDiffers(List<(string Unit, string Destination)> ours, List<(string Unit, string Destination)> theirs)
    {
        if (!ours.Select(m => m.Unit).Order(StringComparer.Ordinal).SequenceEqual(theirs.Select(m => m.Unit).Order(StringComparer.Ordinal)))
            return "not the same mounts";
        // Where each of the script's mounts is in the profile's order (the n-th of equal ones the n-th).
        var used = new bool[ours.Count];
        var at = new int[theirs.Count];
        for (int i = 0; i < theirs.Count; i++)
        {
            at[i] = Enumerable.Range(0, ours.Count).First(j => !used[j] && ours[j].Unit == theirs[i].Unit);
            used[at[i]] = true;
        }
        for (int i = 0; i < theirs.Count; i++)
        {
            for (int j = i + 1; j < theirs.Count; j++)
            {
                if (Related(theirs[i].Destination, theirs[j].Destination) && at[i] > at[j])
                    return $"the script has {theirs[i].Unit} before {theirs[j].Unit}";
            }
        }
        return null;
    }

    private static bool Related(string a, string b)
    {
        a = a.Length > 1 ? a.TrimEnd('/') : a;
        b = b.Length > 1 ? b.TrimEnd('/') : b;
        return a == b || a == "/" || b == "/" || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);
    }

    /// <summary>
    /// bwrap's argv in the parts whose order matters: options as a sorted list (bwrap reads them in
    /// any order, but for the pairs below), mounts and path changes as written, then the command.
    /// </summary>
    private sealed record Units(List<string> Options, List<(string Unit, string Destination)> Mounts, List<string> Command, string? Inversion)
    {
        // bwrap reads these pairs in order; the composer always writes the first before the second.
        private static readonly (string First, string Then)[] Ordered =
            [("--unshare-all", "--share-net"), ("--clearenv", "--setenv"), ("--clearenv", "--unsetenv"), ("--cap-drop", "--cap-add")];

        public static Units Of(IReadOnlyList<string> argv)
        {
            var options = new SortedSet<string>(StringComparer.Ordinal);
            var repeated = new List<string>();
            var mounts = new List<(string, string)>();
            var modifiers = new List<string>();
            string? inversion = null;
            var seen = new List<string>();
            int i = 0;
            while (i < argv.Count && argv[i].StartsWith("--", StringComparison.Ordinal) && argv[i] != "--")
            {
                string option = argv[i];
                string name = option[2..];
                var spec = BwrapOptions.Find(name);
                int arity = spec is null ? 1 : ArgvReader.Arity(spec);
                string unit = string.Join('\0', argv.Skip(i).Take(arity + 1));
                i += arity + 1;
                foreach (var (first, then) in Ordered)
                {
                    if (option == first && seen.Contains(then))
                        inversion ??= $"the script gives {then} before {first}, which bwrap reads differently; Sandboxer always puts {first} first: move it in the script and import again";
                }
                seen.Add(option);
                if (spec is null)
                    modifiers.Add(unit);
                else if (spec.IsMount || spec.Shape is OptionShape.Remount or OptionShape.Chmod)
                {
                    modifiers.Sort(StringComparer.Ordinal);
                    mounts.Add((string.Join('\0', [.. modifiers, unit]).Replace('\0', ' '), argv[i - 1]));
                    modifiers.Clear();
                }
                else if (spec.Shape == OptionShape.Flag)
                    options.Add(unit);
                else
                    repeated.Add(unit.Replace('\0', ' '));
            }
            if (i < argv.Count && argv[i] == "--")
                i++;
            repeated.AddRange(options);
            repeated.Sort(StringComparer.Ordinal);
            return new Units(repeated, mounts, argv.Skip(i).ToList(), inversion);
        }
    }
}
