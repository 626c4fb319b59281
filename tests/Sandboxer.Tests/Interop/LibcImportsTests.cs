using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Interop;

/// <summary>
/// The server runs musl 1.2 (Alpine), CI runs glibc: every libc function the Libc class imports
/// (Interop/Libc.cs and its partial files Interop/Libc.*.cs) must exist in both, checked against
/// the real libraries' dynamic symbol tables.
/// </summary>
public partial class LibcImportsTests
{
    private static string SourceRoot => Path.Combine(Published.RepositoryRoot, "src", "Sandboxer");
    /// <summary>Libc.cs and Libc.TOPIC.cs: the only files allowed to import.</summary>
    private static List<string> LibcSources => Directory.EnumerateFiles(Path.Combine(SourceRoot, "Interop"), "Libc*.cs")
        .Where(f => Path.GetFileName(f) == "Libc.cs" || Path.GetFileName(f).StartsWith("Libc.", StringComparison.Ordinal)).Order().ToList();

    private static string GnuArch => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "aarch64" : "x86_64";

    /// <summary>musl's libc.so: Debian's musl-dev beside glibc, or Alpine's own libc.</summary>
    private static string MuslLibrary => FirstExisting("musl's libc.so (Debian: musl-dev, installed by build/deps.sh test)",
        $"/usr/lib/{GnuArch}-linux-musl/libc.so", $"/lib/ld-musl-{GnuArch}.so.1");

    private static string GlibcLibrary => FirstExisting("glibc's libc.so.6",
        $"/lib/{GnuArch}-linux-gnu/libc.so.6", $"/usr/lib/{GnuArch}-linux-gnu/libc.so.6");

    [Fact]
    public void Every_libc_import_is_exported_by_musl_and_by_glibc()
    {
        var imports = Imports();
        var musl = Exports(MuslLibrary);
        var glibc = Exports(GlibcLibrary);
        var missing = imports.Where(f => !musl.Contains(f)).Select(f => $"{f} (not in musl's {MuslLibrary})")
            .Concat(imports.Where(f => !glibc.Contains(f)).Select(f => $"{f} (not in glibc's {GlibcLibrary})"))
            .ToList();
        Assert.True(missing.Count == 0, "the Libc class imports functions a libc lacks; call them through syscall(2) instead: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_check_rejects_close_range_and_pidfd_open_which_only_glibc_exports()
    {
        // What the check above would say of an import of either: glibc has them, musl 1.2 does not.
        var musl = Exports(MuslLibrary);
        var glibc = Exports(GlibcLibrary);
        foreach (var function in new[] { "close_range", "pidfd_open" })
        {
            Assert.DoesNotContain(function, musl);
            Assert.Contains(function, glibc);
        }
        Assert.Contains("execv", musl);
    }

    [Fact]
    public void Every_import_in_the_Libc_files_is_read_and_no_other_file_imports_anything()
    {
        Assert.Superset(new HashSet<string> { "execv", "syscall", "realpath", "fcntl" }, Imports().ToHashSet());
        var elsewhere = Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !LibcSources.Contains(f))
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\[(LibraryImport|DllImport)\b"))
            .ToList();
        Assert.Empty(elsewhere);
    }

    [Fact]
    public void Published_binary_needs_no_icu()
    {
        // InvariantGlobalization: ICU is neither linked (NEEDED) nor named for a dlopen.
        var needed = Runner.Run("readelf", ["-d", "-W", Published.Binary]);
        Assert.True(needed.ExitCode == 0, needed.ToString());
        Assert.Contains("(NEEDED)", needed.Output);
        Assert.DoesNotContain("libicu", needed.Output);
        Assert.False(Contains(File.ReadAllBytes(Published.Binary), "libicu"u8), "the binary names libicu");
    }

    /// <summary>Every entry point of a [LibraryImport] in the Libc files: EntryPoint when given, else the method's name.</summary>
    internal static List<string> Imports()
    {
        var imports = new List<string>();
        foreach (var file in LibcSources)
        {
            string source = File.ReadAllText(file);
            int before = imports.Count;
            foreach (Match m in ImportPattern().Matches(source))
                imports.Add(m.Groups["entry"].Success ? m.Groups["entry"].Value : m.Groups["method"].Value);
            // An import written in a shape the pattern misses must fail here, not go unchecked.
            Assert.Equal(Regex.Count(source, @"\[LibraryImport\("), imports.Count - before);
            Assert.DoesNotMatch(@"\[DllImport\b", source);
        }
        return imports;
    }

    /// <summary>The functions a shared library exports, from its dynamic symbol table (nm -D).</summary>
    private static HashSet<string> Exports(string library)
    {
        var result = Runner.Run("nm", ["-D", "--defined-only", library]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var exports = new HashSet<string>();
        foreach (var line in result.Output.Split('\n'))
        {
            // "0000000000d4c20 T execv@@GLIBC_2.2.5": the name, without its symbol version.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 3 && fields[1] is "T" or "W" or "i")
                exports.Add(fields[2].Split('@')[0]);
        }
        Assert.True(exports.Count > 500, $"{library}: only {exports.Count} functions read");
        return exports;
    }

    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static string FirstExisting(string what, params string[] candidates) =>
        candidates.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{what} not found at {string.Join(" or ", candidates)}");

    [GeneratedRegex("""\[LibraryImport\((?:[^\]]*?EntryPoint\s*=\s*"(?<entry>[^"]+)")?[^\]]*\)\](?:\s*\[[^\]]*\])*\s*(?:[\w\*<>]+\s+)*?(?<method>\w+)\s*\(""")]
    private static partial Regex ImportPattern();
}
