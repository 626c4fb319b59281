using System.Text.Json;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>check and audit as an admin runs them: the published binary, real files, the real bwrap.</summary>
public sealed class AuditCommandsTests : IDisposable
{
    // check walks bound directories for links; a whole /usr would take seconds per test.
    private const string Shell = "command = \"/bin/sh\"\n[sandbox]\nro-bind = [\"/bin/sh\"]\n";

    private readonly ProfileDirectory profiles = new();

    public AuditCommandsTests() => profiles.Write("shell", Shell);

    public void Dispose() => profiles.Dispose();

    private RunResult Sandboxer(params string[] args) => Runner.Run(Published.Binary, args, profiles.Environment());

    [Fact]
    public void Check_of_a_profile_that_would_start_exits_0_and_says_so()
    {
        var result = Sandboxer("check", "shell");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("shell: ok\n", result.Output);
    }

    [Fact]
    public void Check_counts_what_libraries_auto_binds_and_reports_a_library_it_cannot_find()
    {
        profiles.Write("portable", "command = \"/bin/sh\"\nlibraries = \"auto\"\n");
        var result = Sandboxer("check", "portable");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("portable: ok\n", result.Output);

        string file = profiles.Write("lacking", "command = \"/bin/sh\"\nlibraries = \"auto\"\ndlopen = [\"libsandboxer-absent.so.7\"]\n");
        var missing = Sandboxer("check", "lacking");
        Assert.Equal(ExitCodes.Config, missing.ExitCode);
        Assert.StartsWith($"{file}:2:13: error: libraries: libsandboxer-absent.so.7, dlopen: not found (searched ", missing.Output);
        Assert.EndsWith("lacking: 1 error, 0 warnings\n", missing.Output);
    }

    [Fact]
    public void Check_lists_every_error_with_its_place_and_exits_78()
    {
        string file = profiles.Write("broken", "command = \"/opt/none\"\ncomand = 1\n[sandbox]\nro-bind = [\"/nonexistent/a\"]\nargv0 = \"x\"\n");
        var result = Sandboxer("check", "broken");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        var lines = result.Output.TrimEnd('\n').Split('\n');
        Assert.Contains($"{file}:1:11: error: command: /opt/none is not in the sandbox: no mount brings it in (ro-bind = [\"/opt/none\"] would)", lines);
        Assert.Contains($"{file}:2:1: error: comand: unknown key (did you mean \"command\"?)", lines);
        Assert.Contains(lines, l => l.StartsWith($"{file}:4:12: error: sandbox.ro-bind: /nonexistent/a does not exist", StringComparison.Ordinal));
        Assert.Equal(Stack.BwrapHas("0.9"), !lines.Any(l => l.Contains("sandbox.argv0: needs bubblewrap 0.9 or later")));
        Assert.StartsWith("broken: ", lines[^1]);
    }

    [Fact]
    public void Check_reports_a_profile_others_may_write_as_an_error()
    {
        string file = profiles.Write("loose", Shell);
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("666", 8));
        var result = Sandboxer("check", "loose");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains($"error: {file}: ", result.Output);
        Assert.Contains("writable by group and others", result.Output);
    }

    [Fact]
    public void Check_all_checks_every_profile_in_the_directory()
    {
        profiles.Write("second", "command = \"/bin/sh\"\n[sandbox]\nbind = [\"/nonexistent/b\"]\n");
        var result = Sandboxer("check", "--all");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        var summaries = result.Output.Split('\n').Where(l => l.Length > 0 && !l.Contains(": error: ") && !l.Contains(": warning: ") && !l.Contains(": note: ")).ToList();
        Assert.Equal(["second: 2 errors, 0 warnings", "shell: ok"], summaries);
    }

    [Fact]
    public void Check_for_the_services_user_wants_its_state_directory_ready()
    {
        var result = Sandboxer("check", "shell", "--user", Accounts.ServiceName);
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains($"error: stop.state: {profiles.State}/shell: missing: only root makes a service's state directory", result.Output);
        profiles.PrepareState("shell", Account.Service);
        result = Sandboxer("check", "shell", "--user", Accounts.ServiceName);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void Check_without_bwrap_says_it_cannot_run_it()
    {
        profiles.Write("nobwrap", "bwrap = \"/nonexistent/bwrap\"\n" + Shell);
        var result = Sandboxer("check", "nobwrap");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains("nobwrap.toml:1:9: error: bwrap: cannot run /nonexistent/bwrap: No such file or directory", result.Output);
    }

    [Fact]
    public void Audit_piped_is_plain_and_the_threshold_decides_the_exit()
    {
        profiles.Write("open", "command = \"/bin/sh\"\n[sandbox]\nshare-net = true\nnew-session = false\n");
        var result = Sandboxer("audit", "--all");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain('\u001b', result.Output);
        var lines = result.Output.Split('\n');
        Assert.StartsWith("open    4.5/10  ", lines[0]);
        Assert.Equal(4, Array.FindIndex(lines, l => l.StartsWith("shell ", StringComparison.Ordinal)));
        Assert.Equal(1, Sandboxer("audit", "--all", "--threshold", "4").ExitCode);
        Assert.Equal(0, Sandboxer("audit", "--all", "--threshold", "4.5").ExitCode);
    }

    [Fact]
    public void Audit_json_is_one_document_and_an_unreadable_profile_exits_78()
    {
        var result = Sandboxer("audit", "shell", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using (var json = JsonDocument.Parse(result.Output))
            Assert.Equal("shell", json.RootElement.GetProperty("profiles")[0].GetProperty("name").GetString());
        profiles.Write("bad", "command = 1\n");
        result = Sandboxer("audit", "shell", "bad");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains("bad.toml:1:11: command: must be a string", result.Stderr);
        Assert.StartsWith("shell ", result.Output);
    }
}
