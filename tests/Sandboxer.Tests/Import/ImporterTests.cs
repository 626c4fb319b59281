using Sandboxer.Import;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Import;

public class ImporterTests
{
    private const string Hub = "/s/bwrap-defaults";
    private static readonly string SeedHub = File.ReadAllText(Path.Combine(SeedScripts.Directory, "bwrap-defaults"));

    private static ImportPlan Plan(Dictionary<string, string> scripts, string? existingHub = null) =>
        Importer.Plan([.. scripts.Keys], path => scripts.GetValueOrDefault(path)
            ?? (path == Hub ? SeedHub : throw SandboxerException.Config($"{path}: No such file or directory")), existingHub);

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

        var other = Plan(new() { ["/s/bwrap-monerod"] = Seed("monerod") }, existingHub: "[sandbox]\nunshare-all = true\n");
        Assert.Contains(other.Files, f => f.FileName == "defaults.toml");
    }

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
