using System.Text;
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
    private static readonly string SeedDirectory = Path.Combine(Published.RepositoryRoot, "tests", "Sandboxer.Tests", "Composition", "Seed");

    // The operands each option in the seed scripts takes; anything else fails the test.
    private static readonly Dictionary<string, int> Operands = new()
    {
        ["--unshare-all"] = 0, ["--clearenv"] = 0, ["--new-session"] = 0, ["--die-with-parent"] = 0, ["--share-net"] = 0,
        ["--cap-drop"] = 1, ["--hostname"] = 1, ["--dev"] = 1, ["--tmpfs"] = 1,
        ["--ro-bind"] = 2, ["--bind"] = 2, ["--symlink"] = 2,
    };
    private static readonly string[] Mounts = ["--dev", "--tmpfs", "--ro-bind", "--bind", "--symlink"];

    private readonly ProfileDirectory profiles = new();
    private readonly string recorder;
    private readonly string record;

    public SeedParityTests()
    {
        recorder = Path.Combine(profiles.Root, "fakebin", "bwrap");
        record = Path.Combine(profiles.Root, "argv");
        Directory.CreateDirectory(Path.GetDirectoryName(recorder)!);
        File.WriteAllText(recorder, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{record}'\n");
        File.SetUnixFileMode(recorder, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose() => profiles.Dispose();

    [Theory]
    [InlineData("monerod")]
    [InlineData("navidrome")]
    public void Seed_profile_gives_the_seed_scripts_bwrap_options_and_operands(string service)
    {
        string[] callerArgs = ["--non-interactive", "--data-dir", "/data"];
        var seed = Units(RunSeed(service, callerArgs));
        var ours = Units(RunShipped(service, callerArgs));

        Assert.Equal(seed.Options.Order(), ours.Options.Order());
        Assert.Equal(seed.Mounts, ours.Mounts);
        Assert.Equal(seed.Command, ours.Command);
    }

    private List<string> RunSeed(string service, string[] callerArgs)
    {
        // The scripts source the hub from /usr/local/bin; point them at the copy, and find bwrap in PATH as they do.
        string script = File.ReadAllText(Path.Combine(SeedDirectory, "bwrap-" + service))
            .Replace("source /usr/local/bin/bwrap-defaults", ". " + Path.Combine(SeedDirectory, "bwrap-defaults"))
            .Replace(". /usr/local/bin/bwrap-defaults", ". " + Path.Combine(SeedDirectory, "bwrap-defaults"));
        string copy = Path.Combine(profiles.Root, "seed-" + service);
        File.WriteAllText(copy, script);
        var path = new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(recorder) + ":/usr/bin:/bin" };
        var result = Runner.Run("/bin/sh", [copy, .. callerArgs], path);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Recorded();
    }

    private List<string> RunShipped(string service, string[] callerArgs)
    {
        profiles.Write("defaults", File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml"))
            .Replace("bwrap = \"/usr/bin/bwrap\"", $"bwrap = \"{recorder}\""));
        // The scripts have no stop relay: compare with it turned off.
        profiles.Write(service, File.ReadAllText(Path.Combine(SeedDirectory, service + ".toml")) + "\n[stop]\nrelay = false\n");
        var result = Runner.Run(profiles.Link(service), callerArgs, profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        return Recorded();
    }

    private List<string> Recorded()
    {
        var argv = Sandboxer.Cli.RawArguments.Split(File.ReadAllBytes(record)).Select(Encoding.UTF8.GetString).ToList();
        File.Delete(record);
        return argv;
    }

    private static (List<string> Options, List<string> Mounts, List<string> Command) Units(List<string> argv)
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
