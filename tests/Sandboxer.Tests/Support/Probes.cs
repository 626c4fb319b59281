namespace Sandboxer.Tests.Support;

/// <summary>
/// Small C programs that act inside a sandbox as an attacker would (Support/Probes/*.c), built
/// statically, so that a sandbox needs nothing else to run them. build/test.sh builds them all
/// once with the host's gcc and names the directory in SANDBOXER_PROBES (the Debian unstable
/// tree has no compiler); without it, as from an IDE, each is built here on first use.
/// </summary>
public static class Probes
{
    private static readonly string? Prebuilt = Environment.GetEnvironmentVariable("SANDBOXER_PROBES");

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
        if (!string.IsNullOrEmpty(Prebuilt))
        {
            string prebuilt = Path.Combine(Prebuilt, name);
            Assert.True(File.Exists(prebuilt), $"SANDBOXER_PROBES names {Prebuilt}, which has no probe {name}: build/test.sh builds every Support/Probes/*.c there");
            return prebuilt;
        }
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
