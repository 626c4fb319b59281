using Sandboxer.Seccomp;
using static Sandboxer.Tests.Seccomp.BpfInterpreter;

namespace Sandboxer.Tests.Seccomp;

/// <summary>Compiled programs of both architectures, run by <see cref="BpfInterpreter"/> against calls and arguments.</summary>
public sealed class BpfCompilerTests
{
    private static readonly uint Allow = SeccompAction.Allow;
    private static readonly uint Eperm = SeccompAction.Errno(1).Value;
    private static readonly uint Enosys = SeccompAction.Errno(38).Value;
    private static readonly uint Eafnosupport = SeccompAction.Errno(97).Value;

    public static TheoryData<string> Architectures => new() { "x86_64", "aarch64" };

    private static SyscallTable Table(string arch) => arch == "x86_64" ? SyscallTable.X86_64 : SyscallTable.Aarch64;

    private static SeccompPolicy Policy(string arch, string? allow, string? deny, SeccompAction? action = null, int[]? families = null)
    {
        var rules = new List<(bool, string)>();
        foreach (var spec in allow?.Split(' ') ?? [])
            rules.Add((true, spec));
        foreach (var spec in deny?.Split(' ') ?? [])
            rules.Add((false, spec));
        return SeccompPolicy.Build(Table(arch), rules, action ?? SeccompAction.Errno(1), families);
    }

    private static uint Call(SeccompPolicy policy, string name, params ulong[] args) =>
        Run(BpfCompiler.Instructions(policy), new BpfInterpreter.Call(policy.Table.Require(name), policy.Table.AuditArch, args));

    [Theory, MemberData(nameof(Architectures))]
    public void Allow_list_allows_its_calls_and_denies_the_rest_with_the_action(string arch)
    {
        var policy = Policy(arch, "@system-service", "@keyring");
        Assert.Equal(Allow, Call(policy, "read"));
        Assert.Equal(Allow, Call(policy, "openat"));
        Assert.Equal(Allow, Call(policy, "execve"));
        Assert.Equal(Eperm, Call(policy, "mount"));
        Assert.Equal(Eperm, Call(policy, "bpf"));
        Assert.Equal(Eperm, Call(policy, "keyctl"));
        Assert.Equal(Eperm, Call(policy, "perf_event_open"));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Without_allow_everything_not_denied_is_allowed(string arch)
    {
        var policy = Policy(arch, null, "@mount keyctl");
        Assert.Equal(Allow, Call(policy, "bpf"));
        Assert.Equal(Eperm, Call(policy, "mount"));
        Assert.Equal(Eperm, Call(policy, "pivot_root"));
        Assert.Equal(Eperm, Call(policy, "keyctl"));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void A_later_rule_wins_so_a_spoke_can_allow_what_the_hub_denied(string arch)
    {
        var table = Table(arch);
        var policy = SeccompPolicy.Build(table, [(true, "@system-service"), (false, "@keyring"), (true, "keyctl")], SeccompAction.Errno(1), null);
        Assert.Equal(Allow, Call(policy, "keyctl"));
        Assert.Equal(Eperm, Call(policy, "add_key"));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Complement_of_a_group_is_every_other_call(string arch)
    {
        var policy = Policy(arch, null, "~@system-service");
        Assert.Equal(Allow, Call(policy, "read"));
        Assert.Equal(Eperm, Call(policy, "mount"));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Another_architecture_is_killed_and_on_x86_64_so_is_x32(string arch)
    {
        var policy = Policy(arch, "@system-service", null);
        var program = BpfCompiler.Instructions(policy);
        int read = policy.Table.Require("read");
        uint other = arch == "x86_64" ? SyscallTable.Aarch64.AuditArch : SyscallTable.X86_64.AuditArch;
        Assert.Equal(SeccompAction.KillProcess, Run(program, new(read, other)));
        Assert.Equal(SeccompAction.KillProcess, Run(program, new(read, 0x40000003))); // i386
        uint x32 = arch == "x86_64" ? SeccompAction.KillProcess : Enosys;
        Assert.Equal(x32, Run(program, new(0x40000000 | read, policy.Table.AuditArch)));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Unknown_numbers_and_clone3_get_ENOSYS_so_that_libc_falls_back(string arch)
    {
        foreach (var policy in new[] { Policy(arch, "@system-service", null), Policy(arch, null, "@mount"), Policy(arch, null, null, SeccompAction.Kill) })
        {
            var program = BpfCompiler.Instructions(policy);
            Assert.Equal(Enosys, Call(policy, "clone3"));
            Assert.Equal(Enosys, Run(program, new(policy.Table.Count, policy.Table.AuditArch)));
            Assert.Equal(Enosys, Run(program, new(100000, policy.Table.AuditArch)));
            Assert.Equal(Enosys, Run(program, new(-1, policy.Table.AuditArch)));
            int gap = Enumerable.Range(0, policy.Table.Count).First(n => !policy.Table.Known[n]);
            Assert.Equal(Enosys, Run(program, new(gap, policy.Table.AuditArch)));
        }
    }

    [Theory, MemberData(nameof(Architectures))]
    public void No_new_user_namespace_through_clone_or_unshare(string arch)
    {
        var policy = Policy(arch, "@system-service", null);
        const ulong NewUser = 0x10000000, NewNet = 0x40000000, Thread = 0x00010000;
        Assert.Equal(Allow, Call(policy, "clone", Thread));
        Assert.Equal(Eperm, Call(policy, "clone", NewUser | Thread));
        Assert.Equal(Allow, Call(policy, "unshare", NewNet));
        Assert.Equal(Eperm, Call(policy, "unshare", NewUser));
        Assert.Equal(Eperm, Call(policy, "unshare", NewUser | NewNet | 0xFFFF_FFFF_0000_0000));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Terminal_injection_ioctls_are_denied_on_their_low_32_bits(string arch)
    {
        var policy = Policy(arch, "@system-service", null);
        const ulong Tcgets = 0x5401, Tiocsti = 0x5412, Tioclinux = 0x541C;
        Assert.Equal(Allow, Call(policy, "ioctl", 0, Tcgets));
        Assert.Equal(Eperm, Call(policy, "ioctl", 0, Tiocsti));
        Assert.Equal(Eperm, Call(policy, "ioctl", 0, Tioclinux));
        // The kernel reads the request as 32 bits: high bits must not hide it (CVE-2019-10063).
        Assert.Equal(Eperm, Call(policy, "ioctl", 0, 0xFFFF_FFFF_0000_0000 | Tiocsti));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Socket_families_outside_the_list_get_EAFNOSUPPORT(string arch)
    {
        var policy = Policy(arch, "@system-service", null, families: [1, 2, 10, 16]);
        Assert.Equal(Allow, Call(policy, "socket", 1));
        Assert.Equal(Allow, Call(policy, "socket", 10));
        Assert.Equal(Eafnosupport, Call(policy, "socket", 17)); // AF_PACKET
        Assert.Equal(Eafnosupport, Call(policy, "socket", 40)); // AF_VSOCK
        Assert.Equal(Allow, Call(Policy(arch, "@system-service", null), "socket", 17));
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Kill_and_log_actions_apply_to_every_denial(string arch)
    {
        var kill = Policy(arch, "@system-service", null, SeccompAction.Kill, [2]);
        Assert.Equal(SeccompAction.KillProcess, Call(kill, "mount"));
        Assert.Equal(SeccompAction.KillProcess, Call(kill, "unshare", 0x10000000));
        Assert.Equal(SeccompAction.KillProcess, Call(kill, "socket", 1));
        var log = Policy(arch, "@system-service", null, SeccompAction.LogOnly);
        Assert.Equal(SeccompAction.Log, Call(log, "mount"));
        Assert.Equal(Allow, Call(log, "read"));
    }

    /// <summary>Every number, against what the policy says, for policies whose ranges are few, many, and as many as can be.</summary>
    [Theory, MemberData(nameof(Architectures))]
    public void Every_number_gets_its_policys_outcome(string arch)
    {
        var table = Table(arch);
        var alternating = SeccompPolicy.Build(table,
            [.. SyscallTable.Names.Where(n => table.Number(n) is int number and >= 0 && number % 2 == 0).Select(n => (true, n))], SeccompAction.Errno(13), null);
        foreach (var policy in new[] { Policy(arch, "@system-service", "@keyring"), Policy(arch, null, "@privileged"), alternating })
        {
            var program = BpfCompiler.Instructions(policy);
            Assert.True(program.Count < 2000, $"{program.Count} instructions");
            // The alternating policy's left subtrees are beyond a conditional jump's reach.
            Assert.True(policy != alternating || program.Exists(i => i.Code == BpfCompiler.Jump), "no long jump was needed");
            int clone3 = table.Require("clone3");
            for (int n = 0; n < table.Count + 2; n++)
            {
                uint expected = n >= table.Count || !table.Known[n] || n == clone3 ? Enosys
                    : policy.Allowed[n] ? Allow : policy.Action.Value;
                Assert.Equal(expected, Run(program, new(n, table.AuditArch)));
            }
        }
    }

    [Theory, MemberData(nameof(Architectures))]
    public void Compiling_is_deterministic_and_small(string arch)
    {
        var first = BpfCompiler.Compile(Policy(arch, "@system-service", "@keyring", families: [1, 2, 10, 16]));
        var second = BpfCompiler.Compile(Policy(arch, "@system-service", "@keyring", families: [16, 10, 2, 1]));
        Assert.Equal(first, second);
        Assert.True(first.Length / 8 < 400, $"{first.Length / 8} instructions");
        Assert.Equal(first, BpfCompiler.Encode(BpfCompiler.Decode(first)));
    }

    [Fact]
    public void Names_that_are_no_syscall_and_empty_groups_fail_closed()
    {
        Assert.Null(SeccompPolicy.Resolve(SyscallTable.X86_64, "keyctrl", out string? why));
        Assert.Equal("\"keyctrl\" is not a syscall (did you mean \"keyctl\"?)", why);
        Assert.Null(SeccompPolicy.Resolve(SyscallTable.X86_64, "@mounts", out why));
        Assert.Equal("\"@mounts\" is not a syscall group (did you mean \"@mount\"?)", why);
        Assert.Null(SeccompPolicy.Resolve(SyscallTable.Aarch64, "@raw-io", out why));
        Assert.Equal("\"@raw-io\" has no syscall on aarch64", why);
        Assert.NotNull(SeccompPolicy.Resolve(SyscallTable.X86_64, "@raw-io", out _));
        Assert.Null(SeccompPolicy.Resolve(SyscallTable.X86_64, "~mount", out why));
        // A real syscall this architecture lacks is no call at all: nothing to allow or deny.
        Assert.Empty(SeccompPolicy.Resolve(SyscallTable.Aarch64, "access", out _)!);
    }
}
