using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class ProfileDiagnosticsTests
{
    private const string Broken = "command = \"/bin/d\"\ncomand = 1\n[sandbox]\nbnid = [\"/x\"]\nshare-net = \"yes\"\nro-bind = [\"/usr\"]\n[stop]\ntimeout = -1\n";

    private static Profile Collect(string hub, string spoke, out ProfileDiagnostics diagnostics)
    {
        diagnostics = ProfileDiagnostics.Collecting();
        var profile = new Profile { Name = "svc", Diagnostics = diagnostics };
        ProfileReader.Apply(profile, TomlTree.Parse(hub, Toml.Hub), isHub: true);
        ProfileReader.Apply(profile, TomlTree.Parse(spoke, Toml.Spoke), isHub: false);
        ProfileStore.Validate(profile, Toml.Spoke);
        return profile;
    }

    [Fact]
    public void A_collecting_sink_keeps_every_error_and_reads_on()
    {
        var profile = Collect("", Broken, out var diagnostics);
        Assert.Equal(
        [
            "/etc/sandboxer/svc.toml:2:1: comand: unknown key (did you mean \"command\"?)",
            "/etc/sandboxer/svc.toml:4:1: sandbox.bnid: unknown key (did you mean \"bind\"?)",
            "/etc/sandboxer/svc.toml:5:13: sandbox.share-net: must be true or false, not a string",
            "/etc/sandboxer/svc.toml:8:11: stop.timeout: -1 is not between 0 and 86400 seconds",
        ], diagnostics.Errors.Select(e => e.Message));
        // What was valid around the errors is still read.
        Assert.Equal("/usr", Assert.Single(profile.Mounts).Destination);
        Assert.Equal("/bin/d", profile.Command?.Value);
    }

    [Fact]
    public void The_strict_sink_throws_the_first_error_with_the_message_run_has_always_given()
    {
        var e = Toml.Error("", Broken);
        Assert.Equal("/etc/sandboxer/svc.toml:2:1: comand: unknown key (did you mean \"command\"?)", e.Message);
    }

    [Fact]
    public void Cross_file_rules_report_each_section_and_located_errors_keep_their_parts()
    {
        Collect("[sandbox]\n\nhostname = \"h\"\n", "command = \"/bin/d\"\n[sandbox]\nlock-file = \"/l\"\n", out var diagnostics);
        Assert.Equal(2, diagnostics.Errors.Count);
        var first = diagnostics.Errors[0];
        Assert.Equal(("sandbox.hostname", 3), (first.Key, first.At?.Line));
        Assert.Contains(diagnostics.Errors, e => e.Key == "sandbox.lock-file");
    }

    [Fact]
    public void A_profile_that_cannot_be_read_is_kept_and_the_missing_command_it_implies_is_not()
    {
        using var profiles = new ProfileDirectory("[sandbox]\n");
        var diagnostics = ProfileDiagnostics.Collecting();
        ProfileStore.Load(profiles.Path, "absent", diagnostics);
        Assert.Contains("no such profile", Assert.Single(diagnostics.Errors).Message);
    }
}
