using System.Text;

namespace Sandboxer.Elf;

/// <summary>Whose search rules a program's libraries are found by: its interpreter's.</summary>
public enum LoaderRules { Glibc, Musl }

/// <summary>A file a sandbox needs, at its real path, and why (for SANDBOXER_LOG=debug).</summary>
public readonly record struct ResolvedFile(string Path, string Reason);

/// <summary>
/// Finds every file the dynamic loader opens to start a program, by the loader's own rules
/// (never by running anything): the program, its interpreter, the loader's configuration and
/// every library, transitively, plus each symbolic link on the way to them. Programs added to
/// one resolver share one ordered, de-duplicated result. Only ELF objects of the program's own
/// class and machine are ever taken as libraries, so no crafted needed name or run path can make
/// another kind of file (or a directory) part of the result.
/// </summary>
public sealed class LibraryResolver
{
    // The kernel follows at most 4 levels of #! (BINPRM_MAX_RECURSION).
    private const int MaxScripts = 4;
    private const int ShebangBytes = 256;

    private readonly FileTree tree;
    private readonly string context;
    private readonly List<ResolvedFile> files = [];
    private readonly HashSet<string> fileSet = new(StringComparer.Ordinal);
    private readonly List<SymbolicLink> links = [];
    private readonly HashSet<string> linkSet = new(StringComparer.Ordinal);
    private readonly HashSet<string> directories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ElfFile> parsed = new(StringComparer.Ordinal);
    private readonly Dictionary<ElfKind, LoaderCache> caches = [];
    private readonly Dictionary<string, string[]> variants = new(StringComparer.Ordinal);
    // Each file's first bytes, read into one buffer: objects are read one at a time.
    private readonly byte[] page = new byte[ElfFile.FirstRead];

    /// <param name="context">What errors begin with: the profile's file, line, column and key.</param>
    public LibraryResolver(FileTree tree, string context)
    {
        this.tree = tree;
        this.context = context;
    }

    /// <summary>
    /// Whether the sandbox mounts /proc: both loaders find the program's own $ORIGIN by reading
    /// /proc/self/exe, and without it glibc drops the run path elements that use it and musl the
    /// program's whole run path. A library's $ORIGIN comes from the path it was found at.
    /// </summary>
    public bool ProcMounted { get; init; } = true;

    public IReadOnlyList<ResolvedFile> Files => files;
    public IReadOnlyList<SymbolicLink> Links => links;
    /// <summary>Which of <see cref="Files"/> are directories, bound whole.</summary>
    public IReadOnlySet<string> BoundDirectories => directories;
    /// <summary>Libraries asked for only if present that the loader would not find, each with why it was asked for.</summary>
    public List<string> NotFound { get; } = [];

    /// <summary>
    /// Adds a program with everything its loader opens, and the libraries in <paramref name="dlopen"/>
    /// as the program itself would load them at run time.
    /// </summary>
    /// <param name="rules">The search rules to use for an object without an interpreter (a library examined alone).</param>
    /// <param name="ifPresent">Libraries the program may load at run time, each with why: added when the loader would find them, passed over when not.</param>
    /// <returns>The rules its libraries were found by; null for a static program.</returns>
    public LoaderRules? AddProgram(string path, IReadOnlyList<string> dlopen, LoaderRules? rules = null, IReadOnlyList<(string Name, string Why)>? ifPresent = null) =>
        AddProgram(path, dlopen, rules, ifPresent ?? [], "program", 0);

    private LoaderRules? AddProgram(string path, IReadOnlyList<string> dlopen, LoaderRules? rules, IReadOnlyList<(string Name, string Why)> ifPresent, string why, int scripts)
    {
        var walk = Existing(path, path);
        ElfFile elf;
        using (var handle = tree.OpenRegular(walk.Path, out long length) ?? throw Error($"{path}: not a regular file"))
        {
            int got = ReadPage(handle, length, path);
            if (got >= 2 && page[0] == '#' && page[1] == '!')
            {
                if (scripts == MaxScripts)
                    throw Error($"{path}: more than {MaxScripts} levels of #! interpreters");
                string interpreter = Shebang(page.AsSpan(2, Math.Min(got, ShebangBytes) - 2), path);
                Add(walk, why);
                return AddProgram(interpreter, dlopen, rules, ifPresent, "#! interpreter of " + path, scripts + 1);
            }
            elf = Parse(walk.Path, handle, length, got, path);
        }
        Add(walk, why);
        if (elf.Interpreter is null && rules is null)
        {
            if (elf.Needed.Count > 0 || dlopen.Count > 0)
                throw Error($"{path}: needs libraries but names no interpreter, so no loader's rules apply");
            return null;
        }
        var main = new Loaded(walk.Path, walk.Path, elf, null);
        var used = rules ?? RulesFor(elf.Interpreter!);
        var program = new Program(this, main, used);
        program.Start();
        foreach (var name in dlopen)
            program.Load(name, main, "dlopen", required: true);
        foreach (var (name, reason) in ifPresent)
            program.Load(name, main, reason, required: false);
        program.Finish();
        return used;
    }

    private static LoaderRules RulesFor(string interpreter) =>
        Path.GetFileName(interpreter).StartsWith("ld-musl-", StringComparison.Ordinal) ? LoaderRules.Musl : LoaderRules.Glibc;

    /// <summary>The interpreter of a #! line: its first word, which must be an absolute path.</summary>
    private string Shebang(ReadOnlySpan<byte> line, string path)
    {
        int end = line.IndexOfAny((byte)'\n', (byte)0);
        if (end < 0)
            throw Error($"{path}: a #! line longer than {ShebangBytes} bytes");
        string text = Encoding.UTF8.GetString(line[..end]).Trim(' ', '\t', '\r');
        string interpreter = text.Split([' ', '\t'], 2)[0];
        return interpreter.StartsWith('/') ? interpreter : throw Error($"{path}: the #! interpreter \"{interpreter}\" is not an absolute path");
    }

    private FileTree.Walk Existing(string path, string what)
    {
        if (!path.StartsWith('/'))
            throw Error($"{what}: not an absolute path");
        return tree.Resolve(path) is { IsRegularFile: true } walk ? walk : throw Error($"{what}: no such file");
    }

    /// <summary>Reads a file's first page into <see cref="page"/>: how many bytes it has there.</summary>
    private int ReadPage(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length, string label) =>
        ElfFile.Read(handle, page.AsSpan(0, (int)Math.Min(length, page.Length)), 0, context + ": " + label);

    /// <param name="got">How many of the file's first bytes <see cref="page"/> holds.</param>
    private ElfFile Parse(string resolved, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length, int got, string label)
    {
        if (!parsed.TryGetValue(resolved, out var elf))
            parsed[resolved] = elf = ElfFile.Read(handle, length, page.AsSpan(0, got), context + ": " + label);
        return elf;
    }

    private ElfFile Parse(string resolved, string label)
    {
        if (parsed.TryGetValue(resolved, out var elf))
            return elf;
        using var handle = tree.OpenRegular(resolved, out long length) ?? throw Error($"{label}: not a regular file");
        return Parse(resolved, handle, length, ReadPage(handle, length, label), label);
    }

    /// <summary>
    /// The ABI of a candidate file (null if it is not an ELF object the loader could map) and, when
    /// it is <paramref name="wanted"/>, its headers: one open for both.
    /// </summary>
    private (ElfKind? Kind, ElfFile? Elf) Inspect(string resolved, ElfKind wanted, string label)
    {
        if (parsed.TryGetValue(resolved, out var elf))
            return (elf.Kind, elf.Kind == wanted ? elf : null);
        using var handle = tree.OpenRegular(resolved, out long length);
        if (handle is null)
            return (null, null);
        // The first page tells the kind and holds most of the headers: one read for both.
        int got = ReadPage(handle, length, label);
        var kind = ElfFile.Identify(page.AsSpan(0, got));
        return kind == wanted ? (kind, Parse(resolved, handle, length, got, label)) : (kind, null);
    }

    private void Add(FileTree.Walk walk, string reason)
    {
        foreach (var link in walk.Links)
        {
            if (linkSet.Add(link.Link))
                links.Add(link);
        }
        if (fileSet.Add(walk.Path))
            files.Add(new ResolvedFile(walk.Path, reason));
    }

    /// <summary>Adds a file the loader or the program reads, if it exists; whether it does.</summary>
    public bool AddIfPresent(string path, string reason)
    {
        if (tree.Resolve(path) is not { IsRegularFile: true } walk)
            return false;
        Add(walk, reason);
        return true;
    }

    /// <summary>
    /// Adds a directory whose every file the program may open (gconv modules, locales,
    /// certificates), bound whole, if it exists; whether it does.
    /// </summary>
    public bool AddDirectoryIfPresent(string path, string reason)
    {
        if (tree.Resolve(path) is not { IsDirectory: true } walk || walk.Path == "/")
            return false;
        Add(walk, reason);
        directories.Add(walk.Path);
        return true;
    }

    private SandboxerException Error(string why) => SandboxerException.Config($"{context}: {why}");

    private sealed record Loaded(string FoundAs, string Path, ElfFile Elf, Loaded? Loader);

    /// <summary>One program's load: the objects loaded so far, by name and by file, in the loader's breadth-first order.</summary>
    private sealed class Program(LibraryResolver resolver, Loaded main, LoaderRules rules)
    {
        private readonly Dictionary<string, Loaded> byName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Loaded> byPath = new(StringComparer.Ordinal) { [main.Path] = main };
        private readonly Queue<Loaded> pending = new();
        private ElfKind Kind => main.Elf.Kind;
        private string[]? defaults;
        private LoaderCache? cache;

        public void Start()
        {
            if (main.Elf.Interpreter is string interpreter)
            {
                var walk = resolver.Existing(interpreter, $"{interpreter}, the interpreter of {main.Path}");
                var elf = resolver.Parse(walk.Path, $"{interpreter} (the interpreter of {main.Path})");
                if (elf.Kind != Kind)
                    throw resolver.Error($"{interpreter}, the interpreter of {main.Path}, is {elf.Kind}, not {Kind}");
                resolver.Add(walk, "interpreter of " + main.Path);
                var loader = new Loaded(interpreter, walk.Path, elf, null);
                byPath[walk.Path] = loader;
                if (elf.SoName is string soName)
                    byName[soName] = loader;
            }
            if (rules == LoaderRules.Glibc)
                resolver.AddIfPresent("/etc/ld.so.cache", "the loader's cache of " + main.Path);
            else if (MuslPathFile() is string pathFile)
                resolver.AddIfPresent(pathFile, "the loader's search path of " + main.Path);
            pending.Enqueue(main);
            Finish();
        }

        /// <summary>Loads what every pending object needs, breadth first, as the loader does.</summary>
        public void Finish()
        {
            while (pending.TryDequeue(out var next))
            {
                foreach (var name in next.Elf.Needed)
                    Load(name, next, "needed by " + next.FoundAs);
            }
        }

        /// <param name="required">Whether a library that is not found is an error, or only not loaded.</param>
        public void Load(string name, Loaded requester, string why, bool required = true)
        {
            if (name.Length == 0)
                throw resolver.Error($"{requester.FoundAs}: an empty library name");
            if (byName.ContainsKey(name) || rules == LoaderRules.Musl && ServedByMusl(name))
                return;
            var searched = new List<string>();
            foreach (var (paths, rule) in Candidates(name, requester))
            {
                Loaded? first = null;
                foreach (var path in paths)
                {
                    searched.Add(path);
                    if (Accept(path, name, requester, $"{path} ({name}, {why})") is not (FileTree.Walk walk, ElfFile elf))
                        continue;
                    if (byPath.TryGetValue(walk.Path, out var same))
                    {
                        first ??= same;
                        continue;
                    }
                    var loaded = new Loaded(path, walk.Path, elf, requester);
                    byPath[walk.Path] = loaded;
                    // Every variant of a group is bound (glibc-hwcaps subdirectories, the cache's
                    // entries for one name): which one the loader takes depends on the CPU.
                    resolver.Add(walk, first is null ? $"{name}, {why}, found by {rule}" : $"{name}, {why}, a variant found by {rule}");
                    pending.Enqueue(loaded);
                    first ??= loaded;
                }
                if (first is not null)
                {
                    byName[name] = first;
                    if (first.Elf.SoName is string soName)
                        byName.TryAdd(soName, first);
                    return;
                }
            }
            if (!required)
            {
                resolver.NotFound.Add($"{name} ({why})");
                return;
            }
            throw resolver.Error($"{name}, {why}: not found (searched {(searched.Count == 0 ? "nothing" : string.Join(", ", searched))})");
        }

        /// <summary>
        /// Whether the loader would take this candidate: glibc skips a file of another class or
        /// machine and goes on; musl maps the first file it opens, and fails on a wrong one. Anything
        /// that is not a regular file is passed over here, so it can never become a bind.
        /// </summary>
        private (FileTree.Walk, ElfFile)? Accept(string path, string name, Loaded requester, string label)
        {
            if (resolver.tree.Resolve(path) is not { IsRegularFile: true } walk)
                return null;
            var (kind, elf) = resolver.Inspect(walk.Path, Kind, label);
            if (elf is not null)
                return (walk, elf);
            if (kind is null)
                throw resolver.Error($"{path} ({name}, needed by {requester.FoundAs}): not an ELF object the loader can load");
            if (rules == LoaderRules.Musl)
                throw resolver.Error($"{path} ({name}, needed by {requester.FoundAs}): {kind}, not {Kind}; musl's loader would fail on it");
            return null;
        }

        /// <summary>Where the loader looks for a name, in order: groups of paths, each with the rule that gave them.</summary>
        private IEnumerable<(IReadOnlyList<string> Paths, string Rule)> Candidates(string name, Loaded requester)
        {
            if (name.Contains('/'))
            {
                // Relative names are opened from the daemon's working directory, which no header tells.
                if (!name.StartsWith('/'))
                    yield break;
                yield return ([name], "its path");
                yield break;
            }
            if (rules == LoaderRules.Musl)
            {
                for (var l = requester; l is not null; l = l.Loader)
                {
                    if ((l.Elf.RunPath ?? l.Elf.RPath) is string runPath && !(l == main && !resolver.ProcMounted && runPath.Contains("$ORIGIN", StringComparison.Ordinal)))
                    {
                        foreach (var dir in Directories(runPath, l))
                            yield return ([dir + "/" + name], $"the run path of {l.FoundAs} ({dir})");
                    }
                }
                foreach (var dir in MuslSystemPath())
                    yield return ([dir + "/" + name], $"musl's search path ({dir})");
                yield break;
            }
            // glibc: a DT_RUNPATH makes the object's DT_RPATH ignored, and the run paths of those
            // that loaded it too; DT_RUNPATH itself is not inherited.
            if (requester.Elf.RunPath is null)
            {
                for (var l = requester; l is not null; l = l.Loader)
                {
                    if (l.Elf.RunPath is null && l.Elf.RPath is string rpath)
                    {
                        foreach (var dir in Directories(rpath, l))
                            yield return (WithVariants(dir, name), $"the RPATH of {l.FoundAs} ({dir})");
                    }
                }
            }
            else
            {
                foreach (var dir in Directories(requester.Elf.RunPath, requester))
                    yield return (WithVariants(dir, name), $"the RUNPATH of {requester.FoundAs} ({dir})");
            }
            if (requester.Elf.NoDefaultLibraries)
                yield break;
            var cached = Cache().Find(name);
            if (cached.Count > 0)
                yield return (cached, "/etc/ld.so.cache");
            foreach (var dir in GlibcDefaults())
                yield return (WithVariants(dir, name), $"the default path ({dir})");
        }

        /// <summary>The directories of a run path, with its tokens expanded; relative ones (from the working directory) left out.</summary>
        private IEnumerable<string> Directories(string runPath, Loaded owner)
        {
            foreach (var element in runPath.Split(':'))
            {
                if (owner == main && !resolver.ProcMounted && element.Contains("ORIGIN", StringComparison.Ordinal))
                    continue;
                string dir = Expand(element, owner);
                if (dir.StartsWith('/'))
                    yield return dir.Length > 1 ? dir.TrimEnd('/') : dir;
            }
        }

        /// <summary>$ORIGIN (both loaders), $LIB and $PLATFORM (glibc), bare or in braces.</summary>
        private string Expand(string element, Loaded owner)
        {
            if (!element.Contains('$'))
                return element;
            string origin = owner == main ? Parent(main.Path) : Parent(owner.FoundAs);
            var text = element.Replace("${ORIGIN}", origin, StringComparison.Ordinal).Replace("$ORIGIN", origin, StringComparison.Ordinal);
            if (rules == LoaderRules.Glibc)
            {
                text = text.Replace("${LIB}", Lib, StringComparison.Ordinal).Replace("$LIB", Lib, StringComparison.Ordinal)
                    .Replace("${PLATFORM}", Platform, StringComparison.Ordinal).Replace("$PLATFORM", Platform, StringComparison.Ordinal);
            }
            return text;
        }

        private static string Parent(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash <= 0 ? "/" : path[..slash];
        }

        private string Platform => Kind.Machine switch
        {
            ElfKind.X86_64 => "x86_64",
            ElfKind.AArch64 => "aarch64",
            ElfKind.I386 => "i686",
            _ => "unknown",
        };

        private string? Triplet => (Kind.Is64, Kind.Machine) switch
        {
            (true, ElfKind.X86_64) => "x86_64-linux-gnu",
            (true, ElfKind.AArch64) => "aarch64-linux-gnu",
            (false, ElfKind.I386) => "i386-linux-gnu",
            (false, ElfKind.Arm) => "arm-linux-gnueabihf",
            _ => null,
        };

        /// <summary>Debian-style multiarch when the tree has the multiarch directory, else lib64 (64-bit) or lib.</summary>
        private bool Multiarch => Triplet is string t && resolver.tree.Resolve("/usr/lib/" + t) is { IsDirectory: true };

        private string Lib => Multiarch ? "lib/" + Triplet : Kind.Is64 ? "lib64" : "lib";

        private string[] GlibcDefaults() => defaults ??= Multiarch
            ? ["/lib/" + Triplet, "/usr/lib/" + Triplet, "/lib", "/usr/lib"]
            : Kind.Is64 ? ["/lib64", "/usr/lib64"] : ["/lib", "/usr/lib"];

        private LoaderCache Cache()
        {
            if (cache is not null)
                return cache;
            if (!resolver.caches.TryGetValue(Kind, out cache))
            {
                cache = LoaderCache.Empty;
                if (resolver.tree.Resolve("/etc/ld.so.cache") is { IsRegularFile: true } walk && resolver.tree.OpenRegular(walk.Path) is { } handle)
                {
                    using (handle)
                    {
                        long length = RandomAccess.GetLength(handle);
                        if (length <= 64 << 20)
                        {
                            var data = new byte[length];
                            if (RandomAccess.Read(handle, data, 0) == length)
                                cache = LoaderCache.Parse(data, Kind);
                        }
                    }
                }
                resolver.caches[Kind] = cache;
            }
            return cache;
        }

        /// <summary>
        /// A directory's glibc-hwcaps and legacy hardware-capability subdirectories, then itself:
        /// glibc tries those the CPU supports first. All that hold the name are bound.
        /// </summary>
        private IReadOnlyList<string> WithVariants(string dir, string name)
        {
            if (!resolver.variants.TryGetValue(dir, out var subdirs))
            {
                var found = new List<string>();
                if (resolver.tree.Resolve(dir) is { IsDirectory: true } walk)
                {
                    foreach (var variant in resolver.tree.List(walk.Path + "/glibc-hwcaps"))
                        found.Add(dir + "/glibc-hwcaps/" + variant);
                    foreach (var legacy in (string[])["tls", "haswell", "xeon_phi", "avx512_1", "x86_64", "aarch64", "atomics"])
                    {
                        if (resolver.tree.Resolve(walk.Path + "/" + legacy) is { IsDirectory: true })
                            found.Add(dir + "/" + legacy);
                    }
                }
                resolver.variants[dir] = subdirs = [.. found];
            }
            if (subdirs.Length == 0)
                return [dir + "/" + name];
            var paths = new List<string>(subdirs.Length + 1);
            foreach (var subdir in subdirs)
                paths.Add(subdir + "/" + name);
            paths.Add(dir + "/" + name);
            return paths;
        }

        /// <summary>musl's own names: its loader is also libc, libm, libpthread... and serves them itself.</summary>
        private static bool ServedByMusl(string name)
        {
            if (!name.StartsWith("lib", StringComparison.Ordinal))
                return false;
            foreach (var reserved in (string[])["c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."])
            {
                if (name.AsSpan(3).StartsWith(reserved, StringComparison.Ordinal))
                    return true;
            }
            return false;
        }

        /// <summary>
        /// musl's path file: /etc/ld-musl-ARCH.path under the prefix its interpreter's path implies
        /// ("/lib/ld-musl-x86_64.so.1" gives "/etc/..."; "/usr/lib/..." gives "/usr/etc/...").
        /// </summary>
        private string? MuslPathFile()
        {
            if (main.Elf.Interpreter is not string interpreter)
                return null;
            string file = Path.GetFileName(interpreter);
            const string Prefix = "ld-musl-", Suffix = ".so.1";
            if (!file.StartsWith(Prefix, StringComparison.Ordinal) || !file.EndsWith(Suffix, StringComparison.Ordinal))
                return null;
            string arch = file[Prefix.Length..^Suffix.Length];
            int last = interpreter.LastIndexOf('/');
            int before = last > 0 ? interpreter.LastIndexOf('/', last - 1) : -1;
            string prefix = before > 0 ? interpreter[..before] : "";
            return $"{prefix}/etc/ld-musl-{arch}.path";
        }

        private IEnumerable<string> MuslSystemPath()
        {
            string? text = MuslPathFile() is string pathFile ? resolver.tree.ReadSmall(pathFile) : null;
            foreach (var dir in (text ?? "/lib:/usr/local/lib:/usr/lib").Split([':', '\n'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (dir.StartsWith('/'))
                    yield return dir.Length > 1 ? dir.TrimEnd('/') : dir;
            }
        }
    }
}
