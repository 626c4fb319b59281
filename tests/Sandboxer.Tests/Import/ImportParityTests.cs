using Sandboxer.Tests.Composition;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Import;

/// <summary>
/// The proof import owes: every seed script imported by the published binary, and the profiles
/// it wrote composing, through a bwrap-NAME link, the argv the script execs under sh.
/// </summary>
public sealed class ImportParityTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly SeedScripts seed;
    private readonly string into;

    public ImportParityTests()
    {
        seed = new SeedScripts(profiles.Root);
        into = Path.Combine(profiles.Root, "imported");
    }

    public void Dispose() => profiles.Dispose();

    public static TheoryData<string> Services => [.. SeedScripts.Services];

    [Theory]
    [MemberData(nameof(Services))]
    public void An_imported_seed_script_composes_the_argv_the_script_execs(string service)
    {
        string script = seed.Copy(service);
        // As an admin would: the wrappers and the file they source, all given by one glob.
        var import = Runner.Run(Published.Binary, ["import", script, Path.Combine(profiles.Root, "bwrap-defaults"), "--into", into]);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains($"wrote {Path.Combine(into, service + ".toml")}", import.Output);

        // The imported hub, with the recorder for bwrap; the relay off, as the script had none.
        profiles.Write("defaults", File.ReadAllText(Path.Combine(into, "defaults.toml"))
            .Replace("bwrap = \"/usr/bin/bwrap\"", $"bwrap = \"{seed.Recorder}\""));
        profiles.Write(service, File.ReadAllText(Path.Combine(into, service + ".toml")) + "\n[stop]\nrelay = false\n");

        string[] callerArgs = ["--non-interactive", "two words", ""];
        var theirs = SeedParityTests.Units(seed.RunScript(script, callerArgs));
        var ours = SeedParityTests.Units(seed.RunLink(profiles.Link(service), callerArgs, profiles.Environment()));
        Assert.Equal(theirs.Options.Order(), ours.Options.Order());
        Assert.Equal(theirs.Mounts, ours.Mounts);
        Assert.Equal(theirs.Command, ours.Command);
    }

    [Fact]
    public void Importing_every_seed_script_at_once_writes_one_hub_and_a_profile_each_and_again_changes_nothing()
    {
        var scripts = SeedScripts.Services.Select(seed.Copy).Append(Path.Combine(profiles.Root, "bwrap-defaults")).ToArray();
        var first = Runner.Run(Published.Binary, ["import", .. scripts, "--into", into]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(["defaults.toml", .. SeedScripts.Services.Select(s => s + ".toml")],
            Directory.GetFiles(into).Select(Path.GetFileName).Order());
        Assert.Equal("0644", Sandboxer.Trust.TrustedPath.Mode((int)File.GetUnixFileMode(Path.Combine(into, "monerod.toml"))));

        var again = Runner.Run(Published.Binary, ["import", .. scripts, "--into", into]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"unchanged {Path.Combine(into, "monerod.toml")}", again.Output);
    }

    [Fact]
    public void Import_never_overwrites_a_profile_that_differs_and_then_writes_nothing()
    {
        Directory.CreateDirectory(into);
        File.WriteAllText(Path.Combine(into, "monerod.toml"), "# the admin's own\n");
        var result = Runner.Run(Published.Binary, ["import", seed.Copy("monerod"), "--into", into]);
        Assert.Equal(ExitCodes.CannotCreate, result.ExitCode);
        Assert.Contains("already there, with other content; nothing written", result.Stderr);
        Assert.Equal("# the admin's own\n", File.ReadAllText(Path.Combine(into, "monerod.toml")));
        Assert.False(File.Exists(Path.Combine(into, "defaults.toml")));
    }

    [Fact]
    public void An_admins_own_hub_beside_the_packages_stops_import_naming_the_way_forward_and_nothing_is_written()
    {
        string edited = profiles.LayOutPackage(inProfileDirectory: false).Replace("nofile = 4096", "nofile = 8192");
        Directory.CreateDirectory(into);
        File.WriteAllText(Path.Combine(into, "defaults.toml"), edited);
        string backups = Path.Combine(profiles.Root, "backups");
        var result = Runner.Run(profiles.Sandboxer, ["import", seed.Copy("monerod"), Path.Combine(profiles.Root, "bwrap-defaults"), "--into", into, "--backup-dir", backups]);
        Assert.Equal(ExitCodes.CannotCreate, result.ExitCode);
        Assert.Contains($"sandboxer: {Path.Combine(into, "defaults.toml")}: already there, edited (it is not the package's as shipped)", result.Stderr);
        Assert.Contains("import with --into DIR (an empty directory), merge that defaults.toml with yours by hand and import again", result.Stderr);
        Assert.Equal(edited, File.ReadAllText(Path.Combine(into, "defaults.toml")));
        Assert.Equal(["defaults.toml"], Directory.GetFiles(into).Select(Path.GetFileName));
        Assert.False(Directory.Exists(backups));
    }

    [Fact]
    public void Import_does_not_follow_a_link_planted_at_a_profiles_name()
    {
        Directory.CreateDirectory(into);
        string victim = Path.Combine(profiles.Root, "victim");
        File.WriteAllText(victim, "untouched");
        File.CreateSymbolicLink(Path.Combine(into, "monerod.toml"), victim);
        var result = Runner.Run(Published.Binary, ["import", seed.Copy("monerod"), "--into", into]);
        Assert.Equal(ExitCodes.CannotCreate, result.ExitCode);
        Assert.Contains("is a symbolic link", result.Stderr);
        Assert.Equal("untouched", File.ReadAllText(victim));
    }

    [Fact]
    public void A_hostile_script_is_refused_with_its_line_and_nothing_is_written()
    {
        string script = Path.Combine(profiles.Root, "bwrap-evil");
        string marker = Path.Combine(profiles.Root, "ran");
        File.WriteAllText(script, $"#!/bin/sh\nX=$(touch {marker})\nexec bwrap --unshare-all /bin/true \"$@\"\n");
        var result = Runner.Run(Published.Binary, ["import", script, "--into", into]);
        Assert.Equal(ExitCodes.DataError, result.ExitCode);
        Assert.Contains($"{script}:2: $(...): command substitution", result.Stderr);
        Assert.False(File.Exists(marker), "import ran the script");
        Assert.False(Directory.Exists(into));
    }
}
