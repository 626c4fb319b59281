namespace Sandboxer.Tests.Support;

/// <summary>
/// Small C programs that act inside a sandbox as an attacker would (Support/Probes/*.c), built
/// once per test run with gcc, statically, so that a sandbox needs nothing else to run them.
/// </summary>
public static class Probes
{
    private static readonly Lazy<string> Directory = new(() =>
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("sandboxer-probes-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        return dir;
    });

    private static readonly Dictionary<string, string> Built = [];

    /// <summary>The path of the built probe, readable and executable by every account.</summary>
    public static string Build(string name)
    {
        lock (Built)
        {
            if (Built.TryGetValue(name, out var built))
                return built;
            string source = Path.Combine(Published.RepositoryRoot, "tests", "Sandboxer.Tests", "Support", "Probes", name + ".c");
            string binary = Path.Combine(Directory.Value, name);
            var result = Runner.Run("gcc", ["-static", "-O2", "-Wall", "-Werror", "-o", binary, source]);
            Assert.True(result.ExitCode == 0, $"cannot build the probe {name} (build/deps.sh installs gcc and libc6-dev): {result}");
            File.SetUnixFileMode(binary, (UnixFileMode)Convert.ToInt32("755", 8));
            return Built[name] = binary;
        }
    }
}
