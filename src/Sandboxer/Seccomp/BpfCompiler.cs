using System.Buffers.Binary;

namespace Sandboxer.Seccomp;

/// <summary>
/// Compiles a <see cref="SeccompPolicy"/> to a classic BPF program for seccomp, pure and
/// deterministic: the same policy gives the same bytes. The program:
/// <list type="number">
/// <item>kills a call of any other architecture, and on x86_64 any x32 call;</item>
/// <item>finds the call's number in a binary tree of ranges of equal outcome (a few hundred
/// instructions for any policy: the kernel takes 4,096);</item>
/// <item>answers ENOSYS for a number the table does not know (libc falls back only on ENOSYS) and
/// for clone3, whose flags are in memory it cannot read, so that libc uses clone;</item>
/// <item>checks arguments as Flatpak does: no CLONE_NEWUSER in clone or unshare, no TIOCSTI or
/// TIOCLINUX in ioctl (on the low 32 bits, which are all the kernel reads), and the socket
/// families the policy names.</item>
/// </list>
/// </summary>
public static class BpfCompiler
{
    public const int MaxInstructions = 4096;

    // Opcodes: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JA, BPF_JMP|BPF_{JEQ,JGE,JSET}|BPF_K, BPF_RET|BPF_K.
    public const ushort Load = 0x20, Jump = 0x05, JumpEqual = 0x15, JumpGreaterOrEqual = 0x35, JumpSet = 0x45, Return = 0x06;

    // Offsets in struct seccomp_data: nr, arch, then the six 64-bit arguments (little-endian: low word first).
    public const uint NumberOffset = 0, ArchOffset = 4;
    public static uint ArgumentLow(int i) => 16 + 8 * (uint)i;

    public const uint CloneNewUser = 0x10000000;
    public const uint Tiocsti = 0x5412, Tioclinux = 0x541C;

    public readonly record struct Instruction(ushort Code, byte True, byte False, uint K);

    /// <summary>A leaf of the tree: a return value, or a check of the arguments first.</summary>
    private enum Check { None, CloneFlags, UnshareFlags, IoctlRequest, SocketFamily }

    private readonly record struct Outcome(uint Value, Check Check);

    public static byte[] Compile(SeccompPolicy policy) => Encode(Instructions(policy));

    public static List<Instruction> Instructions(SeccompPolicy policy)
    {
        var table = policy.Table;
        var program = new List<Instruction>
        {
            new(Load, 0, 0, ArchOffset),
            new(JumpEqual, 1, 0, table.AuditArch),
            new(Return, 0, 0, SeccompAction.KillProcess),
            new(Load, 0, 0, NumberOffset),
        };
        if (table.X32Bit != 0)
        {
            // -1 is no call (a tracer's skip), as libseccomp lets it through: it gets ENOSYS below.
            program.Add(new(JumpGreaterOrEqual, 0, 2, table.X32Bit));
            program.Add(new(JumpEqual, 1, 0, uint.MaxValue));
            program.Add(new(Return, 0, 0, SeccompAction.KillProcess));
        }
        var ranges = Ranges(policy);
        program.AddRange(Tree(policy, ranges, 0, ranges.Count - 1));
        if (program.Count > MaxInstructions)
            throw new SandboxerException(ExitCodes.Config, $"seccomp: the policy compiles to {program.Count} instructions, more than the kernel's {MaxInstructions}");
        return program;
    }

    public static byte[] Encode(IReadOnlyList<Instruction> program)
    {
        var bytes = new byte[program.Count * 8];
        for (int i = 0; i < program.Count; i++)
        {
            var span = bytes.AsSpan(i * 8);
            BinaryPrimitives.WriteUInt16LittleEndian(span, program[i].Code);
            span[2] = program[i].True;
            span[3] = program[i].False;
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], program[i].K);
        }
        return bytes;
    }

    public static List<Instruction> Decode(ReadOnlySpan<byte> bytes)
    {
        var program = new List<Instruction>(bytes.Length / 8);
        for (int i = 0; i + 8 <= bytes.Length; i += 8)
            program.Add(new(BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]), bytes[i + 2], bytes[i + 3], BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i + 4)..])));
        return program;
    }

    /// <summary>Consecutive numbers with one outcome, as (first number, outcome); the last range runs to 2^32.</summary>
    private static List<(uint First, Outcome Outcome)> Ranges(SeccompPolicy policy)
    {
        var table = policy.Table;
        var checks = new Dictionary<int, Check>
        {
            [table.Require("clone")] = Check.CloneFlags,
            [table.Require("unshare")] = Check.UnshareFlags,
            [table.Require("ioctl")] = Check.IoctlRequest,
        };
        if (policy.Families is not null)
            checks[table.Require("socket")] = Check.SocketFamily;
        int clone3 = table.Require("clone3");
        var noSystemCall = new Outcome(SeccompAction.Errno(SeccompAction.NoSystemCall).Value, Check.None);

        var ranges = new List<(uint, Outcome)>();
        for (int n = 0; n <= table.Count; n++)
        {
            Outcome outcome;
            if (n == table.Count || !table.Known[n] || n == clone3)
                outcome = noSystemCall;
            else if (!policy.Allowed[n])
                outcome = new(policy.Action.Value, Check.None);
            else
                outcome = new(SeccompAction.Allow, checks.GetValueOrDefault(n));
            if (ranges.Count == 0 || ranges[^1].Item2 != outcome || outcome.Check != Check.None)
                ranges.Add(((uint)n, outcome));
        }
        return ranges;
    }

    /// <summary>
    /// The subtree for ranges[low..high], the number in A: "if A >= first of the middle range, go
    /// right", with a long jump when the left subtree is beyond a conditional jump's 255.
    /// </summary>
    private static List<Instruction> Tree(SeccompPolicy policy, List<(uint First, Outcome Outcome)> ranges, int low, int high)
    {
        if (low == high)
            return Leaf(policy, ranges[low].Outcome);
        int middle = (low + high + 1) / 2;
        var left = Tree(policy, ranges, low, middle - 1);
        var right = Tree(policy, ranges, middle, high);
        var code = new List<Instruction>(left.Count + right.Count + 2);
        if (left.Count <= byte.MaxValue)
            code.Add(new(JumpGreaterOrEqual, (byte)left.Count, 0, ranges[middle].First));
        else
        {
            code.Add(new(JumpGreaterOrEqual, 0, 1, ranges[middle].First));
            code.Add(new(Jump, 0, 0, (uint)left.Count));
        }
        code.AddRange(left);
        code.AddRange(right);
        return code;
    }

    private static List<Instruction> Leaf(SeccompPolicy policy, Outcome outcome)
    {
        uint deny = policy.Action.Value;
        switch (outcome.Check)
        {
            case Check.CloneFlags or Check.UnshareFlags:
                return
                [
                    new(Load, 0, 0, ArgumentLow(0)),
                    new(JumpSet, 0, 1, CloneNewUser),
                    new(Return, 0, 0, deny),
                    new(Return, 0, 0, outcome.Value),
                ];
            case Check.IoctlRequest:
                return
                [
                    new(Load, 0, 0, ArgumentLow(1)),
                    new(JumpEqual, 2, 0, Tiocsti),
                    new(JumpEqual, 1, 0, Tioclinux),
                    new(Return, 0, 0, outcome.Value),
                    new(Return, 0, 0, deny),
                ];
            case Check.SocketFamily:
                var families = policy.Families!.Distinct().Order().ToArray();
                var code = new List<Instruction> { new(Load, 0, 0, ArgumentLow(0)) };
                // Each match jumps over the remaining tests and the refusal, to the allow.
                for (int i = 0; i < families.Length; i++)
                    code.Add(new(JumpEqual, (byte)(families.Length - i), 0, (uint)families[i]));
                code.Add(new(Return, 0, 0, policy.Action.WithErrno(SeccompAction.FamilyNotSupported).Value));
                code.Add(new(Return, 0, 0, outcome.Value));
                return code;
            default:
                return [new(Return, 0, 0, outcome.Value)];
        }
    }
}
