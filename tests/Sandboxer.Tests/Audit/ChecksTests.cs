using Sandboxer.Audit;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Audit;

/// <summary>Each finding of check, from a profile in text and real files in a scratch directory.</summary>
public sealed class ChecksTests : IDisposable
{
    private const string Hub = "[sandbox]\nunshare-all = true\n";
    private readonly string scratch = Directory.CreateTempSubdirectory("sandboxer-check-").FullName;

    // Open to the unprivileged account of the --user tests, as /etc and /usr are.
    public ChecksTests() => File.SetUnixFileMode(scratch, (UnixFileMode)Convert.ToInt32("755", 8));

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private string Make(string relative, string mode = "644", string text = "")
    {
        string path = Path.Combine(scratch, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        return path;
    }

    private static List<Finding> Check(string spoke, Version? bwrap = null, UserAccount? user = null, string hub = Hub)
    {
        var profile = Toml.Load(hub, spoke);
        var findings = new List<Finding>();
        var context = new CheckContext(profile, new SandboxView(profile), bwrap ?? new Version(0, 13, 0), user);
        foreach (var check in Checks.All)
            check.Check(context, findings);
        return findings;
    }

    /// <summary>A daemon that exists and is bound, so that only the finding under test shows.</summary>
    private string Daemon() => Make("bin/daemon", "755");

    private string Service(string sandbox) => $"command = {Toml.Quote(Daemon())}\n[sandbox]\nro-bind = [{Toml.Quote(Daemon())}]\n{sandbox}\n";

    [Fact]
    public void A_clean_profile_has_no_finding()
    {
        Assert.Empty(Check(Service("")));
    }

    [Fact]
    public void A_missing_bind_source_is_an_error_at_its_key_unless_it_is_a_try()
    {
        string missing = Path.Combine(scratch, "absent");
        var finding = Assert.Single(Check(Service($"bind = [{Toml.Quote(missing)}]\nro-bind-try = [{Toml.Quote(missing + "2")}]")));
        Assert.Equal((Severity.Error, "sandbox.bind", 4, 9), (finding.Severity, finding.Key, finding.At?.Line, finding.At?.Column));
        Assert.Contains($"{missing} does not exist", finding.Message);
        Assert.Contains("bind-try", finding.Message);
    }

    [Fact]
    public void A_command_no_mount_brings_in_is_an_error()
    {
        var finding = Assert.Single(Check("command = \"/opt/daemon\"\n"));
        Assert.Equal((Severity.Error, "command"), (finding.Severity, finding.Key));
        Assert.Equal("/opt/daemon is not in the sandbox: no mount brings it in (ro-bind = [\"/opt/daemon\"] would)", finding.Message);
    }

    [Fact]
    public void A_command_that_is_not_an_executable_file_is_an_error()
    {
        string plain = Make("bin/plain", "644");
        Assert.Contains("is not executable (mode 0644)", Assert.Single(Check($"command = {Toml.Quote(plain)}\n[sandbox]\nro-bind = [{Toml.Quote(plain)}]\n")).Message);
        string dir = Path.Combine(scratch, "bin");
        var finding = Assert.Single(Check($"command = \"/d/bin\"\n[sandbox]\nro-bind = [{Toml.Bind(scratch, "/d")}]\n"));
        Assert.Equal($"{dir} is not a file", finding.Message);
        // Under a tmpfs the host's file is not there at all.
        finding = Assert.Single(Check("command = \"/t/daemon\"\n[sandbox]\ntmpfs = [\"/t\"]\n"));
        Assert.Equal("/t/daemon is under the tmpfs at /t (/etc/sandboxer/svc.toml:3:10), which is not a bind of a host path", finding.Message);
    }

    [Fact]
    public void The_command_is_found_through_the_bind_that_brings_it_in()
    {
        Daemon();
        Assert.Empty(Check($"command = \"/d/bin/daemon\"\n[sandbox]\nro-bind = [{Toml.Bind(scratch, "/d")}]\n"));
    }

    [Theory]
    [InlineData("argv0 = \"x\"", "0.8.0", "sandbox.argv0", "0.9")]
    [InlineData("level-prefix = true", "0.10.0", "sandbox.level-prefix", "0.11")]
    [InlineData("tmpfs = [{ path = \"/t\", size = 1024 }]", "0.6.0", "sandbox.tmpfs.size", "0.7")]
    [InlineData("disable-userns = true", "0.7.0", "sandbox.disable-userns", "0.8")]
    public void A_key_newer_than_the_installed_bwrap_is_an_error(string line, string installed, string key, string since)
    {
        var finding = Assert.Single(Check(Service(line), Version.Parse(installed)));
        Assert.Equal((Severity.Error, key), (finding.Severity, finding.Key));
        Assert.Equal($"needs bubblewrap {since} or later; /usr/bin/bwrap is {installed}", finding.Message);
        Assert.Empty(Check(Service(line), Version.Parse(since + ".0")));
    }

    [Fact]
    public void A_flag_turned_off_asks_nothing_of_bwrap()
    {
        Assert.Empty(Check(Service("disable-userns = false"), new Version(0, 7, 0)));
    }

    [Fact]
    public void A_mount_replaced_by_a_later_one_at_the_same_place_is_a_warning_at_the_hidden_one()
    {
        string data = Path.Combine(scratch, "data");
        Directory.CreateDirectory(data);
        var finding = Assert.Single(Check(Service("tmpfs = [\"/data\"]"), hub: Hub + $"bind = [{Toml.Bind(data, "/data")}]\n"));
        Assert.Equal((Severity.Warning, "sandbox.bind", Toml.Hub, 3), (finding.Severity, finding.Key, finding.At?.File, finding.At?.Line));
        Assert.StartsWith("/data is hidden by the tmpfs of /data at /etc/sandboxer/svc.toml:4:", finding.Message);
    }

    [Fact]
    public void A_link_in_a_bound_directory_to_a_path_outside_every_mount_is_a_warning()
    {
        Make("etc/ssl/real.pem");
        Make("share/ca/one.crt");
        string certs = Path.Combine(scratch, "etc/ssl/certs");
        Directory.CreateDirectory(certs);
        File.CreateSymbolicLink(Path.Combine(certs, "one.pem"), "../../../share/ca/one.crt"); // relative, out of the bind
        File.CreateSymbolicLink(Path.Combine(certs, "inside.pem"), "../certs/one.pem");       // within it
        File.CreateSymbolicLink(Path.Combine(certs, "gone.pem"), "/nonexistent/x");           // dangling on the host too
        var finding = Assert.Single(Check(Service($"ro-bind-try = [{Toml.Quote(certs)}]")));
        Assert.Equal((Severity.Warning, "sandbox.ro-bind-try"), (finding.Severity, finding.Key));
        Assert.Equal($"a link in {certs} lead into {scratch}/share/ca, which no mount brings in (such as {certs}/one.pem -> ../../../share/ca/one.crt): " +
            $"the daemon sees them dangling; ro-bind = [\"{scratch}/share/ca\"] would bring it in", finding.Message);
        // Binding what it points to, here under another name, makes it whole.
        Assert.Empty(Check(Service($"ro-bind-try = [{Toml.Quote(certs)}, {Toml.Quote(scratch + "/share")}]")));
    }

    private static UserAccount Svc => UserAccount.Find("svc", "svc:x:4242:4242::/:/sbin/nologin\n", "svc:x:4242:\n");

    [Fact]
    public void With_a_user_a_source_it_cannot_reach_is_an_error_and_one_it_cannot_read_a_warning()
    {
        string closed = Make("closed/inner/file");
        File.SetUnixFileMode(Path.Combine(scratch, "closed"), (UnixFileMode)Convert.ToInt32("700", 8));
        string secret = Make("open/secret", "600");
        var findings = Check(Service($"ro-bind-try = [{Toml.Quote(closed)}, {Toml.Quote(secret)}]") + "[stop]\nrelay = false\n", user: Svc);
        Assert.True(findings.Count == 2, string.Join("\n", findings));
        Assert.Equal((Severity.Error, "sandbox.ro-bind-try"), (findings[0].Severity, findings[0].Key));
        Assert.Equal($"{closed}: svc cannot search {scratch}/closed (mode 0700, owner 0:0): bwrap, started as svc, cannot bind it", findings[0].Message);
        Assert.Equal(Severity.Warning, findings[1].Severity);
        Assert.Equal($"{secret}: svc cannot read {secret} (mode 0600, owner 0:0): the daemon will not read it", findings[1].Message);
        Assert.Empty(Check(Service($"ro-bind-try = [{Toml.Quote(closed)}, {Toml.Quote(secret)}]"), user: UserAccount.Find("root", "root:x:0:0::/root:/bin/sh\n", "")));
    }

    [Fact]
    public void With_a_user_the_state_directory_must_be_ready_for_it()
    {
        string state = Path.Combine(scratch, "state");
        Directory.CreateDirectory(state);
        string spoke = Service("") + $"[stop]\nstate = {Toml.Quote(state)}\n";
        var finding = Assert.Single(Check(spoke, user: Svc));
        Assert.Equal((Severity.Error, "stop.state"), (finding.Severity, finding.Key));
        Assert.StartsWith($"{state}/svc: missing: only root makes a service's state directory", finding.Message);
        // Root's start makes it; check does not.
        Assert.Empty(Check(spoke, user: UserAccount.Find("root", "root:x:0:0::/root:/bin/sh\n", "")));
        Assert.False(Directory.Exists(Path.Combine(state, "svc")));
        Accounts.OwnedDirectory(Account.Root, Path.Combine(state, "svc"), "700");
        Assert.Contains("owned by root", Assert.Single(Check(spoke, user: Svc)).Message);
    }

    [Fact]
    public void A_finding_prints_as_a_compiler_error()
    {
        var finding = Finding.Warning(new Sandboxer.Profiles.Location("/etc/sandboxer/tor.toml", 3, 9), "sandbox.bind", "why\u001b[31m");
        Assert.Equal("/etc/sandboxer/tor.toml:3:9: warning: sandbox.bind: why\\x1b[31m", finding.ToString());
        Assert.Equal("error: x", Finding.Error(null, null, "x").ToString());
    }
}
