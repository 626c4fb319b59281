using System.Runtime.InteropServices;

namespace Sandboxer.Seccomp;

/// <summary>
/// One architecture's syscall numbers and systemd's groups, from the generated
/// <see cref="SyscallData"/> (libseccomp's table, checked against kernel headers).
/// </summary>
public sealed class SyscallTable
{
    public static readonly SyscallTable X86_64 = new("x86_64", AuditArchX86_64, SyscallData.X86_64.ToArray(), x32Bit: 0x40000000);
    public static readonly SyscallTable Aarch64 = new("aarch64", AuditArchAarch64, SyscallData.Aarch64.ToArray(), x32Bit: 0);

    /// <summary>The table of the architecture this process runs as; the filter is for the daemon, which runs as the same.</summary>
    public static SyscallTable Current => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? Aarch64 : X86_64;

    // AUDIT_ARCH_*: EM_X86_64 (62) and EM_AARCH64 (183), 64-bit, little-endian.
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint AuditArchAarch64 = 0xC00000B7;

    private readonly short[] numbers;

    private SyscallTable(string name, uint auditArch, short[] numbers, uint x32Bit)
    {
        Name = name;
        AuditArch = auditArch;
        this.numbers = numbers;
        X32Bit = x32Bit;
        int max = -1;
        foreach (short n in numbers)
            max = Math.Max(max, n);
        Count = max + 1;
        Known = new bool[Count];
        foreach (short n in numbers)
        {
            if (n >= 0)
                Known[n] = true;
        }
    }

    public string Name { get; }

    /// <summary>What the kernel puts in seccomp_data.arch for a call of this architecture.</summary>
    public uint AuditArch { get; }

    /// <summary>x86_64's x32 ABI marks its calls with bit 30; 0 where there is no such ABI.</summary>
    public uint X32Bit { get; }

    /// <summary>One more than the highest number in the table.</summary>
    public int Count { get; }

    /// <summary>Whether a number below <see cref="Count"/> is a syscall of this architecture.</summary>
    public bool[] Known { get; }

    /// <summary>The number of a syscall; -1 when this architecture has none; -2 when the name is not a syscall at all.</summary>
    public int Number(string name)
    {
        int index = Array.BinarySearch(SyscallData.Names, name, StringComparer.Ordinal);
        return index < 0 ? -2 : numbers[index];
    }

    public int Require(string name) =>
        Number(name) is int n and >= 0 ? n : throw new SandboxerException(ExitCodes.Software, $"{name} has no number on {Name}");

    /// <summary>The numbers of a group, its nested groups included; null when no group has that name.</summary>
    public SortedSet<int>? Group(string group)
    {
        if (Array.BinarySearch(SyscallData.GroupNames, group, StringComparer.Ordinal) < 0)
            return null;
        var result = new SortedSet<int>();
        AddGroup(group, result, []);
        return result;
    }

    private void AddGroup(string group, SortedSet<int> into, HashSet<string> seen)
    {
        int index = Array.BinarySearch(SyscallData.GroupNames, group, StringComparer.Ordinal);
        if (index < 0 || !seen.Add(group))
            return;
        foreach (var member in SyscallData.GroupMembers[index])
        {
            if (member.StartsWith('@'))
                AddGroup(member, into, seen);
            // Names this architecture lacks are dropped, as systemd drops them.
            else if (Number(member) is int n and >= 0)
                into.Add(n);
        }
    }

    public static IEnumerable<string> Names => SyscallData.Names;

    public static IEnumerable<string> Groups => SyscallData.GroupNames;
}
