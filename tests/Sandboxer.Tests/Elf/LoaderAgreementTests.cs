using System.Diagnostics;
using System.Runtime.InteropServices;
using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>
/// The resolver against the real loader: for every dynamically linked ELF object of this
/// machine's kind in /usr/bin, /usr/sbin and the multiarch library directory, the files it finds
/// are those glibc's ld.so --list loads (as real paths), and it fails where ld.so finds nothing.
/// </summary>
public class LoaderAgreementTests
{
    [Fact]
    public void Every_program_and_library_of_the_system_resolves_to_what_ld_so_lists()
    {
        string multiarch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        var kind = new ElfKind(true, RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? ElfKind.AArch64 : ElfKind.X86_64);
        string loader = ElfFile.Read("/bin/sh").Interpreter!;
        var objects = LoaderListing.Objects(["/usr/bin", "/usr/sbin", "/usr/lib/" + multiarch], kind);
        Assert.True(objects.Count > 500, $"only {objects.Count} objects found");
        var listed = LoaderListing.List("/", [loader], objects);
        LoaderListing.AssertAgree("/", objects, listed, Processes.RealPath(loader));
    }
}

/// <summary>Runs a loader's --list over many objects in two shells, and compares with the resolver.</summary>
public static class LoaderListing
{
    /// <summary>Regular files (not links, which name files already counted) that are dynamic ELF objects of <paramref name="kind"/>.</summary>
    public static List<string> Objects(IEnumerable<string> directories, ElfKind kind, string root = "")
    {
        var found = new List<string>();
        foreach (var directory in directories)
        {
            if (!Directory.Exists(root + directory))
                continue;
            foreach (var file in Directory.GetFiles(root + directory).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                if (info.LinkTarget is not null || info.Length < 64)
                    continue;
                ElfFile elf;
                try
                {
                    elf = ElfFile.Read(file);
                }
                catch (SandboxerException)
                {
                    continue;
                }
                if (elf.Kind == kind && elf.Type is ElfFile.TypeExecutable or ElfFile.TypeShared && (elf.Needed.Count > 0 || elf.Interpreter is not null))
                    found.Add(file[root.Length..]);
            }
        }
        return found;
    }

    /// <summary>What the loader lists for each object: real paths, or null where it reports a library not found.</summary>
    public static Dictionary<string, HashSet<string>?> List(string root, string[] loaderCommand, List<string> objects)
    {
        var result = new Dictionary<string, HashSet<string>?>();
        var halves = new[] { objects.Where((_, i) => i % 2 == 0).ToList(), objects.Where((_, i) => i % 2 == 1).ToList() };
        var outputs = new string[2];
        Parallel.For(0, 2, i =>
        {
            var script = new System.Text.StringBuilder();
            foreach (var file in halves[i])
                script.Append("echo '==== ").Append(file).Append("'; ").Append(string.Join(' ', loaderCommand.Select(Quote))).Append(" --list ").Append(Quote(file)).Append(" 2>&1\n");
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var reading = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(script.ToString());
            process.StandardInput.Close();
            outputs[i] = reading.Result;
            process.WaitForExit();
        });
        foreach (var output in outputs)
        {
            string? current = null;
            foreach (var line in output.Split('\n'))
            {
                if (line.StartsWith("==== ", StringComparison.Ordinal))
                {
                    current = line[5..];
                    result[current] = [];
                    continue;
                }
                if (current is null || result[current] is not HashSet<string> paths)
                    continue;
                string text = line.Trim();
                if (text.Contains("=> not found", StringComparison.Ordinal))
                {
                    result[current] = null;
                    continue;
                }
                int arrow = text.IndexOf(" => ", StringComparison.Ordinal);
                string path = arrow >= 0 ? text[(arrow + 4)..] : text;
                int address = path.LastIndexOf(" (0x", StringComparison.Ordinal);
                if (address > 0)
                    path = path[..address];
                if (path.StartsWith('/'))
                    paths.Add(RealPath(root, path));
            }
        }
        return result;
    }

    /// <summary>A path's real path inside <paramref name="root"/>.</summary>
    public static string RealPath(string root, string path)
    {
        if (root == "/")
            return Processes.RealPath(path);
        // qemu's -L names the loader it was given by its path outside the root.
        string outside = path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal) ? path : root.TrimEnd('/') + path;
        string real = Processes.RealPath(outside);
        return real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal) ? real[root.TrimEnd('/').Length..] : real;
    }

    public static void AssertAgree(string root, List<string> objects, Dictionary<string, HashSet<string>?> listed, string loaderReal)
    {
        var tree = new FileTree(root);
        var disagreements = new List<string>();
        int compared = 0;
        foreach (var file in objects)
        {
            if (!listed.TryGetValue(file, out var expected))
            {
                disagreements.Add($"{file}: the loader printed nothing");
                continue;
            }
            var resolver = new LibraryResolver(tree, "test");
            HashSet<string>? actual;
            try
            {
                resolver.AddProgram(file, [], LoaderRules.Glibc);
                actual = resolver.Files.Select(f => f.Path).Where(p => p != "/etc/ld.so.cache").ToHashSet();
                actual.Remove(RealPath(root, file));
            }
            catch (SandboxerException e) when (e.Message.Contains("not found", StringComparison.Ordinal))
            {
                actual = null;
            }
            if (expected is null || actual is null)
            {
                if (expected is not null || actual is not null)
                    disagreements.Add($"{file}: loader {(expected is null ? "found a library missing" : "found all")}, resolver {(actual is null ? "found one missing" : "found all")}");
                continue;
            }
            // ld.so --list names itself even for a library examined alone, which has no interpreter.
            expected.Add(loaderReal);
            actual.Add(loaderReal);
            compared++;
            if (!expected.SetEquals(actual))
                disagreements.Add($"{file}: only the loader: [{string.Join(", ", expected.Except(actual))}]; only the resolver: [{string.Join(", ", actual.Except(expected))}]");
        }
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {objects.Count} disagree:\n" + string.Join("\n", disagreements.Take(40)));
        Assert.True(compared > objects.Count / 2, $"only {compared} of {objects.Count} compared");
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";
}
