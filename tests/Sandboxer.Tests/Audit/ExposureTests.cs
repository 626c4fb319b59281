using System.Text.Json;
using Sandboxer.Audit;
using Sandboxer.Cli.Commands;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Audit;

public class ExposureTests
{
    private static string Hub => ProfileDirectory.ShippedDefaults;

    private static ExposureReport Report(string sandbox, string hub = "", string stop = "") =>
        ExposureReport.For(Toml.Load(hub.Length > 0 ? hub : Hub, $"command = \"/bin/d\"\n[sandbox]\n{sandbox}\n{stop}"), Toml.Spoke);

    [Fact]
    public void The_shipped_hub_alone_leaves_nothing_open()
    {
        var report = Report("");
        Assert.Empty(report.Exposures);
        Assert.Equal(0, report.Score);
    }

    [Fact]
    public void User_namespaces_turned_back_on_weigh_at_the_key()
    {
        var exposure = Assert.Single(Report("disable-userns = false").Exposures);
        Assert.Equal((SandboxRules.UserNamespaces, "sandbox.disable-userns", Toml.Spoke), (exposure.Weight, exposure.Key, exposure.At?.File));
    }

    [Fact]
    public void No_seccomp_filter_no_limits_and_a_filter_that_only_logs_each_weigh()
    {
        var none = Assert.Single(Report("", hub: ProfileDirectory.ShippedDefaultsWithout("seccomp")).Exposures);
        Assert.Equal((ConfinementRules.NoFilter, "seccomp"), (none.Weight, none.Key));
        var log = Assert.Single(Report("", stop: "[seccomp]\naction = \"log\"").Exposures);
        Assert.Equal((ConfinementRules.NoFilter, "seccomp.action", Toml.Spoke), (log.Weight, log.Key, log.At?.File));
        var limits = Assert.Single(Report("", hub: ProfileDirectory.ShippedDefaultsWithout("limits")).Exposures);
        Assert.Equal((ConfinementRules.NoLimits, "limits"), (limits.Weight, limits.Key));
    }

    [Fact]
    public void A_shared_network_weighs_and_more_without_port_rules()
    {
        var open = Report("share-net = true");
        Assert.Equal([("sandbox.share-net", SandboxRules.Network), ("network", ConfinementRules.AnyPort)],
            open.Exposures.Select(e => (e.Key, e.Weight)));
        var held = Report("share-net = true", stop: "[network]\nconnect = [443]");
        Assert.Equal([("sandbox.share-net", SandboxRules.Network)], held.Exposures.Select(e => (e.Key, e.Weight)));
    }

    [Theory]
    [InlineData("bind = [\"/var/lib/svc\"]", "sandbox.bind", SandboxRules.WritableData)]
    [InlineData("bind-try = [\"/run/svc\"]", "sandbox.bind-try", SandboxRules.WritableData)]
    [InlineData("bind = [\"/etc/svc\"]", "sandbox.bind", SandboxRules.WritableSystem)]
    [InlineData("bind = [{ from = \"/srv/data\", to = \"/var/data\" }]", "sandbox.bind", SandboxRules.WritableSystem)]
    [InlineData("dev-bind = [\"/dev/dri\"]", "sandbox.dev-bind", SandboxRules.DeviceBind)]
    [InlineData("proc = \"/proc\"", "sandbox.proc", SandboxRules.Proc)]
    [InlineData("ro-bind = [\"/sys/class\"]", "sandbox.ro-bind", SandboxRules.KernelInterface)]
    [InlineData("ro-bind = [\"/home/alice/music\"]", "sandbox.ro-bind", SandboxRules.Home)]
    [InlineData("ro-bind = [\"/run/docker.sock\"]", "sandbox.ro-bind", SandboxRules.EngineSocket)]
    [InlineData("cap-add = [\"CAP_NET_BIND_SERVICE\"]", "sandbox.cap-add", SandboxRules.Capability)]
    [InlineData("cap-add = [\"CAP_SYS_ADMIN\"]", "sandbox.cap-add", SandboxRules.StrongCapability)]
    [InlineData("clearenv = false", "sandbox.clearenv", SandboxRules.Environment)]
    [InlineData("new-session = false", "sandbox.new-session", SandboxRules.Session)]
    public void Each_loosening_adds_its_weight(string line, string key, double weight)
    {
        var baseline = Report("");
        var report = Report(line);
        var added = Assert.Single(report.Exposures.Except(baseline.Exposures));
        Assert.Equal((key, weight), (added.Key, added.Weight));
        Assert.Equal(Toml.Spoke, added.At?.File);
        Assert.Equal(Math.Round(baseline.Score + weight, 1), report.Score);
    }

    [Fact]
    public void Left_out_flags_and_namespaces_weigh_without_a_line()
    {
        var report = Report("", hub: "[sandbox]\n", stop: "[stop]\nrelay = false\n");
        Assert.Equal(
        [
            ("limits", ConfinementRules.NoLimits), ("network", ConfinementRules.AnyPort),
            ("sandbox.cap-drop", SandboxRules.CapabilitiesKept), ("sandbox.clearenv", SandboxRules.Environment),
            ("sandbox.die-with-parent", SandboxRules.Parent), ("sandbox.disable-userns", SandboxRules.UserNamespaces),
            ("sandbox.new-session", SandboxRules.Session), ("sandbox.share-net", SandboxRules.Network),
            ("sandbox.unshare-cgroup", 0.2), ("sandbox.unshare-ipc", 0.5), ("sandbox.unshare-pid", 1.0),
            ("sandbox.unshare-user", 0.5), ("sandbox.unshare-uts", 0.2), ("seccomp", ConfinementRules.NoFilter),
        ], report.Exposures.Select(e => (e.Key, e.Weight)).OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.All(report.Exposures, e => Assert.Null(e.At));
        Assert.Equal(10, report.Score);
        // The relay makes a PID namespace and dies with bwrap whatever the profile says.
        Assert.DoesNotContain(Report("", hub: "[sandbox]\n").Exposures, e => e.Key is "sandbox.unshare-pid" or "sandbox.die-with-parent");
    }

    [Fact]
    public void The_score_stops_at_ten()
    {
        Assert.Equal(10, Report("share-net = true\ncap-add = [\"CAP_SYS_ADMIN\", \"CAP_SYS_PTRACE\"]\nbind = [\"/etc\", \"/usr\"]", stop: "[stop]\nrelay = false\n").Score);
    }

    private static readonly string[] Loosenings =
    [
        "share-net = true", "bind = [\"/etc/x\"]", "proc = \"/proc\"", "cap-add = [\"CAP_NET_RAW\"]", "clearenv = false",
        "new-session = false", "disable-userns = false", "dev-bind = [\"/dev/dri\"]", "ro-bind = [\"/home/a\"]",
    ];

    [Fact]
    public void Adding_a_loosening_never_lowers_the_score_share_net_least_of_all()
    {
        for (int set = 0; set < 1 << Loosenings.Length; set++)
        {
            var lines = Enumerable.Range(0, Loosenings.Length).Where(i => (set & 1 << i) != 0).Select(i => Loosenings[i]).ToList();
            double score = Report(string.Join('\n', lines)).Score;
            for (int i = 0; i < Loosenings.Length; i++)
            {
                if ((set & 1 << i) == 0)
                    Assert.True(Report(string.Join('\n', lines.Append(Loosenings[i]))).Score >= score, $"{Loosenings[i]} over [{string.Join(", ", lines)}]");
            }
        }
    }

    [Fact]
    public void Adding_share_net_raises_every_shipped_profile_without_it_and_leaves_the_others_as_they_are()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Published.RepositoryRoot, "profiles"), "*.toml").Where(f => !f.EndsWith("defaults.toml")))
        {
            string text = File.ReadAllText(file);
            var before = ExposureReport.For(Toml.Load(Hub, text), file);
            var after = ExposureReport.For(Toml.Load(Hub, text.Replace("[sandbox]\n", "[sandbox]\nshare-net = true\n").Replace("share-net = true\nshare-net = true\n", "share-net = true\n")), file);
            if (text.Contains("share-net = true"))
                Assert.Equal(before.Score, after.Score);
            else
                Assert.Equal(before.Score + SandboxRules.Network + (text.Contains("[network]") ? 0 : ConfinementRules.AnyPort), after.Score);
        }
    }

    [Fact]
    public void The_shipped_profiles_rank_from_the_widest_open_to_the_tightest()
    {
        var reports = Directory.GetFiles(Path.Combine(Published.RepositoryRoot, "profiles"), "*.toml").Where(f => !f.EndsWith("defaults.toml"))
            .Select(f => ExposureReport.For(Toml.Load(Hub, File.ReadAllText(f)) is var p ? p : null!, Path.GetFileNameWithoutExtension(f)) with { Name = Path.GetFileNameWithoutExtension(f) });
        Assert.Equal(["monerod", "i2pd", "tor", "p2pool", "socat", "navidrome", "demo"], AuditCommand.Rank(reports).Select(r => r.Name));
    }

    [Fact]
    public void The_table_is_aligned_and_plain_unless_coloured()
    {
        var reports = AuditCommand.Rank([Report("share-net = true\nbind = [\"/var/lib/x\"]") with { Name = "wide" }, Report("") with { Name = "tight-one" }]);
        string plain = AuditOutput.Table(reports, colour: false);
        Assert.DoesNotContain('\u001b', plain);
        var lines = plain.TrimEnd('\n').Split('\n');
        Assert.Equal("wide        4.0/10  /etc/sandboxer/svc.toml", lines[0]);
        Assert.StartsWith("tight-one   0.0/10", lines[4]);
        // Every exposure's reason starts in the same column.
        var rows = lines.Where(l => l.StartsWith("  ")).ToList();
        Assert.Equal(3, rows.Count);
        var reasons = reports.SelectMany(r => r.Exposures).Select(e => e.Reason).ToList();
        Assert.Single(rows.Select((row, i) => row.IndexOf(reasons[i], StringComparison.Ordinal)).Distinct());
        Assert.Contains("\u001b[33m\u001b[1m 4.0/10\u001b[0m", AuditOutput.Table(reports, colour: true));
    }

    [Fact]
    public void The_json_follows_the_documented_schema()
    {
        var reports = AuditCommand.Rank([Report("share-net = true") with { Name = "tor" }]);
        using var json = JsonDocument.Parse(AuditOutput.Json(reports));
        var root = json.RootElement;
        Assert.Equal((1, 10.0), (root.GetProperty("schema").GetInt32(), root.GetProperty("maximum").GetDouble()));
        var profile = Assert.Single(root.GetProperty("profiles").EnumerateArray());
        Assert.Equal(("tor", Toml.Spoke, 3.5), (profile.GetProperty("name").GetString(), profile.GetProperty("file").GetString(), profile.GetProperty("score").GetDouble()));
        var exposures = profile.GetProperty("exposures").EnumerateArray().ToList();
        Assert.Equal(2, exposures.Count);
        Assert.Equal(("sandbox.share-net", 3.0, Toml.Spoke, 3, 13), (exposures[0].GetProperty("key").GetString(), exposures[0].GetProperty("weight").GetDouble(),
            exposures[0].GetProperty("file").GetString(), exposures[0].GetProperty("line").GetInt32(), exposures[0].GetProperty("column").GetInt32()));
        Assert.Equal(JsonValueKind.Null, exposures[1].GetProperty("line").ValueKind);
        Assert.StartsWith("network shared on every port", exposures[1].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("a \"quoted\" back\\slash")]
    [InlineData("tab\tnewline\nescape\u001b[31mdel\u007f nul\u0000")]
    [InlineData("ünïcode ‮ stays")]
    public void A_json_string_reads_back_as_the_same_text(string text)
    {
        using var json = JsonDocument.Parse(AuditOutput.JsonString(text));
        Assert.Equal(text, json.RootElement.GetString());
        Assert.DoesNotContain('\u001b', AuditOutput.JsonString(text));
    }
}
