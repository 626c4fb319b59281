using Sandboxer.Import;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Import;

public class ImporterTests
{
    private const string Hub = "/s/bwrap-defaults";
    private static readonly string SeedHub = File.ReadAllText(Path.Combine(SeedScripts.Directory, "bwrap-defaults"));

    private static ImportPlan Plan(Dictionary<string, string> scripts, string? existingHub = null, string? packagedHub = null) =>
        Importer.Plan([.. scripts.Keys], path => scripts.GetValueOrDefault(path)
            ?? (path == Hub ? SeedHub : throw SandboxerException.Config($"{path}: No such file or directory")), existingHub, packagedHub);

    /// <summary>The defaults.toml the package ships, byte for byte.</summary>
    private static readonly string PackagedHub = File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml"));

    private static string Seed(string service) =>
        File.ReadAllText(Path.Combine(SeedScripts.Directory, "bwrap-" + service)).Replace("/usr/local/bin/bwrap-defaults", Hub);

    [Fact]
    public void The_seed_monerod_script_becomes_the_hub_and_spoke_an_admin_would_write()
    {
        var plan = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub });
        Assert.Empty(plan.Errors);
        Assert.Equal("""
            # Imported by sandboxer import from /s/bwrap-defaults.
            bwrap = "/usr/bin/bwrap"

            [sandbox]
            unshare-all = true
            clearenv = true
            cap-drop = ["ALL"]
            new-session = true
            die-with-parent = true
            hostname = "host"
            dev = ["/dev"]
            tmpfs = ["/tmp"]

            """, plan.Files.Single(f => f.FileName == "defaults.toml").Text);
        Assert.Equal("""
            # Imported by sandboxer import from /s/bwrap-monerod.
            command = "/usr/bin/monerod"

            [sandbox]
            share-net = true
            ro-bind = [
                "/lib/ld-musl-aarch64.so.1",
                "/usr/lib",
                "/usr/bin/monerod",
                "/etc/monero/monerod.conf",
                "/etc/resolv.conf",
            ]
            bind = ["/var/log/monero/", { from = "/mnt/tank1/monerod", to = "/data" }]

            """, plan.Files.Single(f => f.FileName == "monerod.toml").Text);
        Assert.Contains(plan.Notes, n => n.Message.Contains("finds bwrap in PATH"));
    }

    [Fact]
    public void Comments_are_carried_over_to_the_profile_of_the_file_they_were_in()
    {
        var plan = Plan(new() { ["/s/bwrap-svc"] = "# Service notes.\n. /s/bwrap-defaults\n# its daemon\nexec /usr/bin/bwrap $DEFAULTS /bin/d \"$@\"\n" });
        Assert.Empty(plan.Errors);
        Assert.StartsWith("# Imported by sandboxer import from /s/bwrap-svc.\n# Service notes.\n# its daemon\ncommand = \"/bin/d\"\n",
            plan.Files.Single(f => f.FileName == "svc.toml").Text);
    }

    [Theory]
    [InlineData("--seccomp 3", "takes a file descriptor")]
    [InlineData("--bind-data 3 /x", "takes a file descriptor")]
    [InlineData("--unshare-al", "did you mean \"unshare-all\"")]
    [InlineData("--perms 0700 --bind /a /b", "does not apply to the --bind")]
    [InlineData("--bind /a", "no command after")]
    [InlineData("--tmpfs /x --tmpfs /x/", "already a mount destination")]
    [InlineData("--cap-add CAP_NET_RAW --cap-drop ALL", "--cap-add before --cap-drop")]
    [InlineData("--bind /data/db /data/db --tmpfs /data", "another order")]
    [InlineData("--cap-add CAP_SYS_PTRACE", "refused: ")]
    public void What_a_profile_cannot_say_the_same_way_is_a_finding_at_the_scripts_line(string options, string why)
    {
        var plan = Plan(new() { ["/s/bwrap-svc"] = $". /s/bwrap-defaults\nexec bwrap $DEFAULTS \\\n {options} /bin/d \"$@\"\n" });
        var finding = Assert.Single(plan.Errors);
        Assert.Contains(why, finding.Message);
        Assert.Equal("/s/bwrap-svc", finding.At.File);
    }

    [Fact]
    public void Mounts_on_unrelated_paths_may_be_interleaved_in_the_script()
    {
        var plan = Plan(new() { ["/s/bwrap-svc"] = ". /s/bwrap-defaults\nexec bwrap $DEFAULTS --ro-bind /a /a --bind /b /b --ro-bind /c /c --bind /c/d /c/d /bin/d \"$@\"\n" });
        Assert.Empty(plan.Errors);
    }

    [Fact]
    public void A_relative_command_and_a_file_that_runs_no_bwrap_are_findings()
    {
        var plan = Plan(new() { ["/s/bwrap-a"] = "exec bwrap --unshare-all monerod\n", ["/s/bwrap-b"] = "A=1\n" });
        Assert.Equal(2, plan.Errors.Count);
        Assert.Contains("absolute path", plan.Errors[0].Message);
        Assert.Contains("runs no bwrap", plan.Errors[1].Message);
    }

    [Fact]
    public void Every_option_shape_round_trips_through_a_profile()
    {
        var plan = Plan(new() { ["/s/bwrap-svc"] = """
            exec /usr/bin/bwrap --unshare-all --share-net --uid 10 --chdir /w --clearenv --setenv 'A B' "x\"y" --unsetenv C \
              --cap-drop ALL --cap-add CAP_NET_RAW --proc /proc --perms 0700 --size 4096 --tmpfs /t --dir /w \
              --bind-try /a /b --symlink ../x /l --overlay-src /o1 --overlay-src /o2 --tmp-overlay /ov \
              --remount-ro /b --chmod 0755 /w -- /bin/d -x "$@"
            """ });
        Assert.Empty(plan.Errors);
        string spoke = plan.Files.Single(f => f.FileName == "svc.toml").Text;
        Assert.Contains("args = [\"-x\"]", spoke);
        Assert.Contains("tmpfs = [{ path = \"/t\", perms = \"0700\", size = 4096 }]", spoke);
        Assert.Contains("setenv = { \"A B\" = \"x\\\"y\" }", spoke);
    }

    [Fact]
    public void An_existing_hub_is_kept_when_it_gives_every_script_the_same_sandbox()
    {
        var plan = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod") }, existingHub: Toml.SeedDefaults + "\n");
        Assert.Empty(plan.Errors);
        Assert.DoesNotContain(plan.Files, f => f.FileName == "defaults.toml");
        Assert.Contains(plan.Notes, n => n.Message.Contains("kept"));
        Assert.Equal(HubChange.Keep, plan.Hub);

        // The imported hub itself, already written by an earlier import: nothing to do, with or without the package's.
        string imported = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }).Files.Single(f => f.FileName == "defaults.toml").Text;
        var again = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }, existingHub: imported, packagedHub: PackagedHub);
        Assert.Equal(HubChange.Keep, again.Hub);
        Assert.DoesNotContain(again.Files, f => f.FileName == "defaults.toml");
    }

    [Fact]
    public void The_packages_hub_as_shipped_is_replaced_by_the_imported_one_saying_what_it_set_that_the_import_does_not()
    {
        var plan = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }, existingHub: PackagedHub, packagedHub: PackagedHub);
        Assert.Empty(plan.Errors);
        Assert.Equal(HubChange.ReplacePackaged, plan.Hub);
        Assert.StartsWith("# Imported by sandboxer import from /s/bwrap-defaults.", plan.Files.Single(f => f.FileName == "defaults.toml").Text);
        // dev = "/dev" and the seed's dev = ["/dev"] are one value; the rest the seed's bwrap-defaults never had.
        Assert.Equal(["disable-userns", "[seccomp]", "[limits]"], plan.GivenUp);
    }

    [Fact]
    public void An_admins_own_hub_that_would_change_the_sandbox_is_a_conflict_even_beside_the_packages()
    {
        string edited = PackagedHub.Replace("nofile = 4096", "nofile = 8192");
        var plan = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }, existingHub: edited, packagedHub: PackagedHub);
        Assert.Equal(HubChange.Conflict, plan.Hub);
        Assert.Null(plan.GivenUp);
        // Without a package's hub to compare with, every existing hub is the admin's.
        Assert.Equal(HubChange.Conflict, Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }, existingHub: PackagedHub).Hub);
        Assert.Equal(HubChange.Create, Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod"), [Hub] = SeedHub }, packagedHub: PackagedHub).Hub);
    }

    [Theory]
    [InlineData("[sandbox]\nunshare-all = true\n", "[sandbox]\nunshare-all = true\n", "")]
    [InlineData("bwrap = \"/usr/bin/bwrap\"\n[sandbox]\ntmpfs = [\"/tmp\", \"/run\"]\n", "[sandbox]\ntmpfs = [\"/tmp\"]\n", "bwrap tmpfs")]
    [InlineData("[stop]\ntimeout = 10\n[limits]\ncore = 0\n", "[stop]\ntimeout = 20\n[limits]\ncore = 0\n", "stop.timeout")]
    [InlineData("[seccomp]\nallow = [\"@system-service\"]\n", "[sandbox]\nunshare-all = true\n", "[seccomp]")]
    public void What_a_replaced_hub_gives_up_is_each_key_or_section_it_set_otherwise(string replaced, string replacement, string lost) =>
        Assert.Equal(lost, string.Join(' ', Importer.GivenUp(replaced, replacement)));

    [Fact]
    public void Scripts_that_share_different_policies_cannot_share_one_hub()
    {
        var plan = Plan(new()
        {
            ["/s/bwrap-a"] = ". /s/bwrap-defaults\nexec bwrap $DEFAULTS /bin/a \"$@\"\n",
            ["/s/bwrap-b"] = ". /s/bwrap-defaults\nexec bwrap --unshare-all /bin/b \"$@\"\n",
        });
        Assert.Contains(plan.Errors, e => e.Message.Contains("shared options differ"));
    }
}
