using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

/// <summary>
/// The profiles that translate the user's own scripts (both copied into Seed/: the shipped ones
/// have since become portable, with libraries = "auto") against those scripts: both run
/// with a bwrap that records its argv, the scripts under sh and the profiles through the
/// published binary. Options must match as a set (bwrap reads them in any order), mounts and
/// the command line as a sequence.
/// </summary>
public sealed class SeedParityTests : IDisposable
{
    // The operands each option in the seed scripts takes; anything else fails the test.
    private static readonly Dictionary<string, int> Operands = new()
    {
        ["--unshare-all"] = 0, ["--clearenv"] = 0, ["--new-session"] = 0, ["--die-with-parent"] = 0, ["--share-net"] = 0,
        ["--cap-drop"] = 1, ["--hostname"] = 1, ["--dev"] = 1, ["--tmpfs"] = 1,
        ["--ro-bind"] = 2, ["--bind"] = 2, ["--symlink"] = 2,
        ["--unshare-user"] = 0, ["--disable-userns"] = 0, ["--seccomp"] = 1, ["--as-pid-1"] = 0,
    };

    /// <summary>What the shipped defaults add to the scripts: no nested user namespace, and the seccomp filter (from descriptor 3).</summary>
    private static readonly string[] Hardening = ["--unshare-user", "--disable-userns", "--seccomp 3"];
    private static readonly string[] Mounts = ["--dev", "--tmpfs", "--ro-bind", "--bind", "--symlink"];

    private readonly ProfileDirectory profiles = new();
    private readonly SeedScripts seed;

    public SeedParityTests() => seed = new SeedScripts(profiles.Root);

    public void Dispose() => profiles.Dispose();

    [Theory]
    [InlineData("monerod")]
    [InlineData("navidrome")]
    public void Seed_profile_gives_the_seed_scripts_bwrap_options_and_operands(string service)
    {
        string[] callerArgs = ["--non-interactive", "--data-dir", "/data"];
        var script = Units(RunSeed(service, callerArgs));
        var ours = Units(RunShipped(service, callerArgs));

        Assert.Equal(script.Options.Concat(Hardening).Order(), ours.Options.Order());
        Assert.Equal(script.Mounts, ours.Mounts);
        Assert.Equal(script.Command, ours.Command);
    }

    private List<string> RunSeed(string service, string[] callerArgs) => seed.RunScript(seed.Copy(service), callerArgs);

    private List<string> RunShipped(string service, string[] callerArgs)
    {
        profiles.Write("defaults", File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml"))
            .Replace("bwrap = \"/usr/bin/bwrap\"", $"bwrap = \"{seed.Recorder}\""));
        // The scripts have no stop relay: compare with it turned off.
        profiles.Write(service, File.ReadAllText(Path.Combine(SeedScripts.Directory, service + ".toml")) + "\n[stop]\nrelay = false\n");
        return seed.RunLink(profiles.Link(service), callerArgs, profiles.Environment());
    }

    /// <summary>bwrap's argv in units: options (a set to compare: bwrap reads them in any order), mounts, the command line.</summary>
    public static (List<string> Options, List<string> Mounts, List<string> Command) Units(List<string> argv)
    {
        var options = new List<string>();
        var mounts = new List<string>();
        int i = 0;
        while (i < argv.Count && argv[i].StartsWith("--", StringComparison.Ordinal))
        {
            Assert.True(Operands.TryGetValue(argv[i], out int count), $"unexpected option {argv[i]} in {string.Join(' ', argv)}");
            string unit = string.Join(' ', argv.Skip(i).Take(count + 1));
            (Mounts.Contains(argv[i]) ? mounts : options).Add(unit);
            i += count + 1;
        }
        return (options, mounts, argv.Skip(i).ToList());
    }
}
