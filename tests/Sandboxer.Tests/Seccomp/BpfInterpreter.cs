using Sandboxer.Seccomp;

namespace Sandboxer.Tests.Seccomp;

/// <summary>
/// A classic BPF machine for seccomp programs, as the kernel runs them: it refuses what the
/// kernel's checker refuses (a jump past the end, a program that can run off its end, an
/// unknown opcode, a load outside seccomp_data), so that a program it accepts the kernel would.
/// </summary>
public static class BpfInterpreter
{
    /// <summary>One call as the kernel describes it: number, architecture and arguments (seccomp_data).</summary>
    public sealed record Call(int Number, uint Arch, params ulong[] Args);

    public static uint Run(IReadOnlyList<BpfCompiler.Instruction> program, Call call)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), call.Number);
        BitConverter.TryWriteBytes(data.AsSpan(4), call.Arch);
        for (int i = 0; i < call.Args.Length; i++)
            BitConverter.TryWriteBytes(data.AsSpan(16 + 8 * i), call.Args[i]);
        uint a = 0;
        int pc = 0;
        for (int steps = 0; steps <= program.Count; steps++)
        {
            if (pc >= program.Count)
                throw new InvalidOperationException("the program runs off its end");
            var insn = program[pc];
            int next = pc + 1;
            switch (insn.Code)
            {
                case BpfCompiler.Load:
                    if (insn.K % 4 != 0 || insn.K + 4 > 64)
                        throw new InvalidOperationException($"load outside seccomp_data at {pc}");
                    a = BitConverter.ToUInt32(data, (int)insn.K);
                    break;
                case BpfCompiler.Jump:
                    next += (int)insn.K;
                    break;
                case BpfCompiler.JumpEqual:
                    next += a == insn.K ? insn.True : insn.False;
                    break;
                case BpfCompiler.JumpGreaterOrEqual:
                    next += a >= insn.K ? insn.True : insn.False;
                    break;
                case BpfCompiler.JumpSet:
                    next += (a & insn.K) != 0 ? insn.True : insn.False;
                    break;
                case BpfCompiler.Return:
                    return insn.K;
                default:
                    throw new InvalidOperationException($"unknown opcode {insn.Code:x} at {pc}");
            }
            if (next <= pc || next >= program.Count)
                throw new InvalidOperationException($"jump from {pc} to {next}, out of the program");
            pc = next;
        }
        throw new InvalidOperationException("the program loops");
    }
}
