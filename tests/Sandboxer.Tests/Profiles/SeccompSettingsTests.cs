using Sandboxer.Seccomp;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

/// <summary>[seccomp] and [limits] as read from a hub and a spoke.</summary>
public class SeccompSettingsTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void No_seccomp_section_no_filter_and_no_limits()
    {
        var profile = Toml.Load("", Command);
        Assert.False(profile.Seccomp.Present);
        Assert.Empty(profile.Limits.InOrder());
    }

    [Fact]
    public void Rules_run_hub_allow_hub_deny_spoke_allow_spoke_deny()
    {
        var profile = Toml.Load("[seccomp]\ndeny = [\"@keyring\"]\nallow = [\"@system-service\"]\n",
            Command + "[seccomp]\ndeny = [\"bpf\"]\nallow = [\"keyctl\", \"bpf\"]\naction = \"kill\"\nfamilies = [\"unix\"]\n");
        Assert.Equal([(true, "@system-service"), (false, "@keyring"), (true, "keyctl"), (true, "bpf"), (false, "bpf")], profile.Seccomp.Rules);
        var policy = profile.Seccomp.Policy(SyscallTable.X86_64);
        Assert.True(policy.Allowed[SyscallTable.X86_64.Require("keyctl")]);
        Assert.False(policy.Allowed[SyscallTable.X86_64.Require("add_key")]);
        Assert.False(policy.Allowed[SyscallTable.X86_64.Require("bpf")]);
        Assert.Equal(SeccompAction.Kill, policy.Action);
        Assert.Equal([1], policy.Families!);
    }

    [Fact]
    public void The_action_is_EPERM_unless_said()
    {
        Assert.Equal(SeccompAction.Errno(1), Toml.Load("[seccomp]\n", Command).Seccomp.Policy(SyscallTable.Current).Action);
        Assert.Equal(SeccompAction.LogOnly, Toml.Load("[seccomp]\naction = \"EACCES\"\n", Command + "[seccomp]\naction = \"log\"\n").Seccomp.Policy(SyscallTable.Current).Action);
    }

    [Theory]
    [InlineData("deny = [\"keyctrl\"]", "3:9: seccomp.deny[0]: \"keyctrl\" is not a syscall (did you mean \"keyctl\"?)")]
    [InlineData("allow = [\"@sytem-service\"]", "3:10: seccomp.allow[0]: \"@sytem-service\" is not a syscall group (did you mean \"@system-service\"?)")]
    [InlineData("deny = \"~mount\"", "3:8: seccomp.deny: \"~mount\": \"~\" goes only before a group, such as \"~@mount\"")]
    [InlineData("action = \"EPERN\"", "3:10: seccomp.action: \"EPERN\" is not an errno name such as \"EPERM\", \"kill\" or \"log\" (did you mean \"EPERM\"?)")]
    [InlineData("families = [\"inte6\"]", "3:13: seccomp.families[0]: \"inte6\" is not a socket family such as \"unix\", \"inet\" or \"inet6\" (did you mean \"inet6\"?)")]
    [InlineData("deny = [\"\"]", "3:9: seccomp.deny[0]: must not be empty")]
    [InlineData("forbid = []", "3:1: seccomp.forbid: unknown key")]
    public void Seccomp_errors_name_file_line_column_and_key(string line, string expected)
    {
        var e = Toml.Error("", Command + "[seccomp]\n" + line + "\n");
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.StartsWith($"{Toml.Spoke}:{expected}", e.Message);
    }

    [Fact]
    public void A_group_empty_on_the_running_architecture_fails_closed()
    {
        // @raw-io is x86's port I/O: no aarch64 call at all. @cpu-emulation is x86's too.
        string group = SyscallTable.Current == SyscallTable.Aarch64 ? "@raw-io" : "@nonexistent";
        var e = Toml.Error("", Command + $"[seccomp]\ndeny = [\"{group}\"]\n");
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Contains("seccomp.deny[0]", e.Message);
    }

    [Fact]
    public void Limits_take_counts_and_sizes_and_the_spoke_replaces_the_hubs()
    {
        var limits = Toml.Load("[limits]\nnofile = 256\ncore = 0\nas = \"512M\"\n", Command + "[limits]\nnofile = 1024\nfsize = \"2G\"\nstack = 8388608\ncpu = \"unlimited\"\n").Limits.InOrder();
        Assert.Equal([("cpu", 0, ulong.MaxValue), ("fsize", 1, 2UL << 30), ("stack", 3, 8388608UL), ("core", 4, 0UL), ("nofile", 7, 1024UL), ("as", 9, 512UL << 20)], limits);
    }

    [Theory]
    [InlineData("nofile = \"many\"", "3:10: limits.nofile: must be an integer or \"unlimited\", not a string")]
    [InlineData("nofile = -1", "3:10: limits.nofile: must not be negative")]
    [InlineData("as = \"512MB\"", "3:6: limits.as: \"512MB\" is not a size such as \"512M\" (K, M, G, T: powers of 1024) or \"unlimited\"")]
    [InlineData("as = \"M\"", "3:6: limits.as: \"M\" is not a size")]
    [InlineData("as = \"99999999T\"", "3:6: limits.as: \"99999999T\" is not a size")]
    [InlineData("files = 3", "3:1: limits.files: unknown key")]
    public void Limits_errors_name_file_line_column_and_key(string line, string expected)
    {
        var e = Toml.Error("", Command + "[limits]\n" + line + "\n");
        Assert.StartsWith($"{Toml.Spoke}:{expected}", e.Message);
    }
}
