using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// runtime = [...] on real bwrap, under the shipped hub: a program with only what
/// libraries = "auto" resolved fails the way daemons do, and the named switch makes it work.
/// </summary>
public sealed class RuntimeTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    private RunResult Run(string name, string command, string runtime, params string[] args)
    {
        profiles.Write(name, $"""
            command = "{command}"
            libraries = "auto"
            {runtime}
            """);
        return Runner.Run(profiles.Link(name), args, profiles.Environment(), timeoutSeconds: 30);
    }

    /// <summary>The dynamically linked program build/test.sh builds from Support/Dynamic/cancel.c.</summary>
    private static string CancelProgram()
    {
        string? directory = Environment.GetEnvironmentVariable("SANDBOXER_PROBES");
        Assert.False(string.IsNullOrEmpty(directory), "SANDBOXER_PROBES is not set: build/test.sh builds cancel-dynamic there");
        string path = Path.Combine(directory, "cancel-dynamic");
        Assert.True(File.Exists(path), $"{path} is missing: build/test.sh builds it with gcc");
        return path;
    }

    [Fact]
    public void Thread_cancel_gives_glibc_the_libgcc_s_it_needs_to_cancel_a_thread()
    {
        string program = CancelProgram();

        var without = Run("cancel", program, "");
        var with = Run("cancel-switched", program, """runtime = ["thread-cancel"]""");

        // glibc loads libgcc_s only when it cancels: no header names it, and without it glibc aborts.
        Assert.True(without.ExitCode == 134, $"without runtime: {without}");
        Assert.Contains("libgcc_s.so.1 must be installed for pthread_cancel to work", without.Stderr);
        Assert.True(with.ExitCode == 0, $"with runtime = [\"thread-cancel\"]: {with}");
        Assert.Equal("cancelled\n", with.Output);
    }

    /// <summary>
    /// users rather than hosts: both stacks have /etc/passwd, but Debian sid's tree has no
    /// /etc/hosts, and a name asked of DNS would depend on the network outside.
    /// </summary>
    [Fact]
    public void Users_lets_getent_find_an_account_through_nss_and_hosts_does_not()
    {
        var without = Run("getent", "/usr/bin/getent", "", "passwd", "root");
        var with = Run("getent-users", "/usr/bin/getent", """runtime = ["users"]""", "passwd", "root");
        var hostsOnly = Run("getent-hosts", "/usr/bin/getent", """runtime = ["hosts"]""", "passwd", "root");

        // getent exits 2 when the key is not found.
        Assert.True(without.ExitCode == 2 && without.Output == "", $"without runtime: {without}");
        Assert.True(with.ExitCode == 0 && with.Output.StartsWith("root:x:0:0:", StringComparison.Ordinal), $"with runtime = [\"users\"]: {with}");
        // Each name grants its own files only: the account database is not there for hosts.
        Assert.True(hostsOnly.ExitCode == 2, $"runtime = [\"hosts\"] let getent read /etc/passwd: {hostsOnly}");
    }

    [Fact]
    public void Show_prints_the_runtime_binds_and_debug_says_why()
    {
        profiles.Write("show", """
            command = "/usr/bin/getent"
            libraries = "auto"
            runtime = ["users", "gconv"]
            """);
        var env = profiles.Environment();
        env["SANDBOXER_LOG"] = "debug";

        var result = Runner.Run(profiles.Sandboxer, ["show", "show"], env);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" --ro-bind /etc/passwd /etc/passwd ", result.Output);
        Assert.Matches(@" --ro-bind (/usr/lib\S*/gconv) \1 ", result.Output);
        Assert.Contains("sandboxer: debug: library /etc/nsswitch.conf: runtime = \"users\": glibc's name service switch", result.Stderr);
    }
}
