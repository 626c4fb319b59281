using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sandboxer.Elf;

/// <summary>
/// runtime = [...]: what a program's libc and libraries open at run time, which no header names,
/// by what it is for. Each name stands for files, directories and libraries chosen by the libc the
/// program's interpreter names (glibc, or musl, which builds most of them in; a static program gets
/// the plain files only) and by where its libc and libcrypto were found; only those that exist
/// are added, through the same resolver (ELF checks, links, dependencies) as the loader's own.
/// </summary>
public static class RuntimeFiles
{
    public const string ThreadCancel = "thread-cancel", Hosts = "hosts", Users = "users", Gconv = "gconv", Locale = "locale", OpenSsl = "openssl";

    public static readonly string[] Names = [ThreadCancel, Hosts, Users, Gconv, Locale, OpenSsl];

    /// <summary>Beyond its own databases' files, what resolving names reads: the resolver's configuration.</summary>
    private static readonly string[] HostFiles = ["/etc/hosts", "/etc/resolv.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/services", "/etc/protocols"];
    private static readonly string[] HostDatabases = ["hosts", "services", "protocols"];
    private static readonly string[] UserFiles = ["/etc/passwd", "/etc/group"];
    private static readonly string[] UserDatabases = ["passwd", "group"];

    /// <summary>What a runtime name looked for but did not find, or why it stands for nothing here, for the debug log.</summary>
    public readonly record struct Outcome(string Name, List<string> Absent, string? Nothing);

    /// <summary>
    /// Adds what each of <paramref name="names"/> stands for to <paramref name="resolver"/>, which
    /// has already resolved <paramref name="program"/> by <paramref name="rules"/> (null: static).
    /// </summary>
    public static List<Outcome> Add(LibraryResolver resolver, FileTree tree, string program, LoaderRules? rules, IEnumerable<string> names)
    {
        var outcomes = new List<Outcome>();
        foreach (var name in names)
        {
            var absent = new List<string>();
            string why = $"runtime = \"{name}\"";
            void AddFile(string path, string what)
            {
                if (!resolver.AddIfPresent(path, $"{why}: {what}"))
                    absent.Add(path);
            }
            void AddDirectory(string path, string what)
            {
                if (!resolver.AddDirectoryIfPresent(path, $"{why}: {what}"))
                    absent.Add(path + "/");
            }
            void AddLibraries(IEnumerable<(string Name, string What)> libraries)
            {
                var wanted = libraries.Select(l => (l.Name, $"{why}: {l.What}")).ToList();
                if (wanted.Count == 0)
                    return;
                int missed = resolver.NotFound.Count;
                resolver.AddProgram(program, [], null, wanted);
                absent.AddRange(resolver.NotFound.Skip(missed));
            }

            bool glibc = rules == LoaderRules.Glibc;
            string? libcDirectory = glibc ? DirectoryOf(resolver, "libc.so.6") : null;
            string? nothing = null;
            switch (name)
            {
                case ThreadCancel when glibc:
                    // pthread_cancel and pthread_exit unwind the thread with libgcc_s, which glibc
                    // loads then; without it the process aborts ("libgcc_s.so.1 must be installed").
                    AddLibraries([("libgcc_s.so.1", "glibc loads it to unwind a cancelled or exiting thread")]);
                    break;
                case Hosts or Users:
                    bool hosts = name == Hosts;
                    foreach (var file in hosts ? HostFiles : UserFiles)
                        AddFile(file, hosts ? "read to resolve names" : "read to look up accounts");
                    if (glibc)
                    {
                        AddFile("/etc/nsswitch.conf", "glibc's name service switch");
                        AddLibraries(NssModules(tree, hosts ? HostDatabases : UserDatabases)
                            .Select(module => ($"libnss_{module}.so.2", $"the \"{module}\" service of /etc/nsswitch.conf")));
                    }
                    break;
                case Gconv when libcDirectory is not null:
                    // glibc's iconv modules, in its library directory, loaded by path; all bound whole.
                    AddDirectory(libcDirectory + "/gconv", "glibc's iconv modules (GCONV_PATH's default)");
                    break;
                case Locale when glibc:
                    AddDirectory("/usr/lib/locale", "glibc's compiled locales (locale-archive, C.utf8)");
                    break;
                case OpenSsl:
                    AddOpenSsl(resolver, tree, AddFile, AddDirectory, AddLibraries, absent);
                    break;
                default:
                    // musl unwinds without libgcc_s and builds in iconv and its locales; a static program has no loader to load them.
                    nothing = rules switch
                    {
                        LoaderRules.Musl => "musl builds it in",
                        null => "a static program loads nothing",
                        _ => $"no libc.so.6 among the libraries of {program}",
                    };
                    break;
            }
            outcomes.Add(new Outcome(name, absent, nothing));
        }
        return outcomes;
    }

    private static string? DirectoryOf(LibraryResolver resolver, string library) =>
        resolver.Files.FirstOrDefault(f => Path.GetFileName(f.Path) == library).Path is string path ? Path.GetDirectoryName(path) : null;

    /// <summary>
    /// OpenSSL 3 reads its configuration and certificates under OPENSSLDIR and loads providers and
    /// engines from MODULESDIR and ENGINESDIR, all three compiled into libcrypto as
    /// 'OPENSSLDIR: "/usr/lib/ssl"' (what OpenSSL_version prints): read from the libcrypto the program loads.
    /// </summary>
    private static void AddOpenSsl(LibraryResolver resolver, FileTree tree,
        Action<string, string> file, Action<string, string> directory, Action<IEnumerable<(string, string)>> libraries, List<string> absent)
    {
        var crypto = resolver.Files.FirstOrDefault(f => Path.GetFileName(f.Path).StartsWith("libcrypto.so.", StringComparison.Ordinal)).Path;
        if (crypto is null)
        {
            absent.Add("libcrypto (the program does not load it)");
            return;
        }
        var dirs = CompiledDirectories(tree, crypto, ["OPENSSLDIR", "MODULESDIR", "ENGINESDIR"]);
        if (dirs.GetValueOrDefault("OPENSSLDIR") is string sslDir)
        {
            file(sslDir + "/openssl.cnf", "OpenSSL's configuration");
            file(sslDir + "/cert.pem", "OpenSSL's default certificate file");
            directory(sslDir + "/certs", "OpenSSL's default certificate directory");
            // Debian's certificate directory holds links into /usr/share/ca-certificates: their directories too.
            if (tree.Resolve(sslDir + "/certs") is { IsDirectory: true } certs)
            {
                foreach (var target in tree.List(certs.Path).Select(n => tree.Resolve(certs.Path + "/" + n)).OfType<FileTree.Walk>()
                    .Where(w => w.IsRegularFile).Select(w => Path.GetDirectoryName(w.Path)!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    if (target != certs.Path)
                        directory(target, "where OpenSSL's certificate links point");
                }
            }
        }
        else
        {
            absent.Add(crypto + ": OPENSSLDIR");
        }
        var modules = new List<(string, string)>();
        foreach (var (key, what) in new[] { ("MODULESDIR", "an OpenSSL provider"), ("ENGINESDIR", "an OpenSSL engine") })
        {
            if (dirs.GetValueOrDefault(key) is not string dir || tree.Resolve(dir) is not { IsDirectory: true } walk)
            {
                absent.Add($"{crypto}: {key}");
                continue;
            }
            foreach (var entry in tree.List(walk.Path).Where(n => n.EndsWith(".so", StringComparison.Ordinal)))
                modules.Add((dir + "/" + entry, what + " (OpenSSL loads it by path)"));
        }
        libraries(modules);
    }

    /// <summary>The 'KEY: "value"' strings compiled into a library, found by scanning it.</summary>
    private static Dictionary<string, string> CompiledDirectories(FileTree tree, string library, string[] keys)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        using SafeFileHandle? handle = tree.OpenRegular(library);
        if (handle is null)
            return found;
        const int Chunk = 1 << 20, Overlap = 4096;
        var buffer = new byte[Chunk + Overlap];
        long offset = 0;
        int carried = 0;
        while (found.Count < keys.Length)
        {
            int got = RandomAccess.Read(handle, buffer.AsSpan(carried, Chunk), offset);
            if (got <= 0)
                break;
            offset += got;
            var span = buffer.AsSpan(0, carried + got);
            foreach (var key in keys)
            {
                if (found.ContainsKey(key))
                    continue;
                var marker = Encoding.ASCII.GetBytes(key + ": \"");
                int at = span.IndexOf(marker);
                if (at < 0)
                    continue;
                var rest = span[(at + marker.Length)..];
                int end = rest.IndexOf((byte)'"');
                if (end > 0 && rest[..end].IndexOf((byte)0) < 0 && rest[0] == '/')
                    found[key] = Encoding.UTF8.GetString(rest[..end]).TrimEnd('/');
            }
            carried = Math.Min(Overlap, span.Length);
            span[^carried..].CopyTo(buffer);
        }
        return found;
    }

    /// <summary>The services /etc/nsswitch.conf names for some databases, in order, each once.</summary>
    private static List<string> NssModules(FileTree tree, string[] databases) =>
        tree.ReadSmall("/etc/nsswitch.conf") is string text ? NssServices(text, databases) : [];

    /// <summary>
    /// The services of the named databases in nsswitch.conf text ("hosts: files mdns4_minimal
    /// [NOTFOUND=return] dns" gives files, mdns4_minimal, dns), each once; a name that could not
    /// be a module's ("../x") is left out.
    /// </summary>
    public static List<string> NssServices(string text, IReadOnlyCollection<string> databases)
    {
        var services = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Split('#', 2)[0];
            int colon = line.IndexOf(':');
            if (colon < 0 || !databases.Contains(line[..colon].Trim()))
                continue;
            bool inAction = false;
            foreach (var word in line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                // [NOTFOUND=return] and [ !UNAVAIL=return ] are actions, not services.
                if (word.StartsWith('['))
                    inAction = true;
                if (!inAction && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') && !services.Contains(word))
                    services.Add(word);
                if (word.EndsWith(']'))
                    inAction = false;
            }
        }
        return services;
    }
}
