using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;
using Sandboxer.Profiles;
using Sandboxer.Seccomp;

namespace Sandboxer.Confinement;

/// <summary>
/// What the daemon is held to beyond bwrap's namespaces: [limits] and the compiled [seccomp]
/// filter. Without the stop relay, bwrap installs the filter (--seccomp) and the launcher sets
/// the limits before it execs bwrap. With it, neither may touch the relay (its own calls must
/// not loosen the daemon's filter, and a limit such as `as` could break its runtime), so the
/// relay starts the daemon through `sandboxer confine`, which sets both and execs the daemon.
/// </summary>
/// <param name="Limits">(key, RLIMIT_ number, value), set as soft and hard limit alike.</param>
/// <param name="Filter">The seccomp program, or null.</param>
public sealed record Confinement(IReadOnlyList<(string Key, int Resource, ulong Value)> Limits, byte[]? Filter)
{
    public bool IsEmpty => Limits.Count == 0 && Filter is null;

    /// <summary>
    /// From the profile, compiled for this architecture. For a run, the kernel must be able to
    /// apply the filter: a policy that cannot be applied as written stops the start.
    /// </summary>
    public static Confinement From(Profile profile, bool forRun)
    {
        byte[]? filter = null;
        if (profile.Seccomp.Present)
        {
            if (forRun && !Libc.SeccompFiltersAvailable())
                throw SandboxerException.Config("seccomp: this kernel cannot apply a seccomp filter (or an emulator refuses it); not starting without the profile's [seccomp]");
            filter = BpfCompiler.Compile(profile.Seccomp.Policy(SyscallTable.Current));
        }
        return new Confinement(profile.Limits.InOrder(), filter);
    }

    /// <summary>Sets every limit, soft and hard alike, so that the daemon cannot raise it.</summary>
    public void ApplyLimits()
    {
        foreach (var (key, resource, value) in Limits)
        {
            int errno = Libc.SetResourceLimit(resource, value);
            if (errno != 0)
            {
                Libc.GetResourceLimit(resource, out _, out ulong hard);
                string why = errno == Errno.NotPermitted ? $" (the hard limit here is {Shown(hard)}, and only a privileged process may raise it)" : "";
                throw SandboxerException.Config($"limits.{key}: cannot set it to {Shown(value)}: {Marshal.GetPInvokeErrorMessage(errno)}{why}");
            }
        }
    }

    /// <summary>The limits, no_new_privs and the filter: the very last steps before the daemon's exec.</summary>
    public void Apply()
    {
        ApplyLimits();
        if (Filter is null)
            return;
        ProcessImage.Check(Libc.SetNoNewPrivileges(), "cannot set no_new_privs");
        int errno = Libc.InstallSeccompFilter(Filter);
        if (errno != 0)
            throw SandboxerException.Config($"seccomp: the kernel refuses the filter: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static string Shown(ulong value) => value == LimitsSettings.Infinity ? LimitsSettings.Unlimited : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The filter alone in a sealed anonymous file, for bwrap's --seccomp.</summary>
    public SafeFileHandle FilterFile() => SealedFile("sandboxer-seccomp", Filter!);

    /// <summary>
    /// The file the relay gets: how it starts Sandboxer again (its own start words inside the
    /// sandbox), then the limits, then the filter.
    /// </summary>
    public SafeFileHandle RelayFile(IReadOnlyList<string> start) => SealedFile("sandboxer-confine", Encode(start));

    private static readonly byte[] Magic = "SBXCONF1"u8.ToArray();

    public byte[] Encode(IReadOnlyList<string> start)
    {
        var bytes = new List<byte>(Magic);
        void Int(uint value) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, value); bytes.AddRange(b.ToArray()); }
        void Long(ulong value) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, value); bytes.AddRange(b.ToArray()); }
        void Text(string text) { var b = Encoding.UTF8.GetBytes(text); Int((uint)b.Length); bytes.AddRange(b); }
        Int((uint)start.Count);
        foreach (var word in start)
            Text(word);
        Int((uint)Limits.Count);
        foreach (var (key, resource, value) in Limits)
        {
            Text(key);
            Int((uint)resource);
            Long(value);
        }
        Int((uint)(Filter?.Length ?? 0));
        bytes.AddRange(Filter ?? []);
        return [.. bytes];
    }

    public static (List<string> Start, Confinement Confinement) Decode(ReadOnlySpan<byte> bytes)
    {
        int at = 0;
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> all, int count)
        {
            if (count < 0 || at + count > all.Length)
                throw new SandboxerException(ExitCodes.Software, "confine: the confinement file is truncated");
            at += count;
            return all.Slice(at - count, count);
        }
        if (!Take(bytes, Magic.Length).SequenceEqual(Magic))
            throw new SandboxerException(ExitCodes.Software, "confine: not a confinement file");
        int Int(ReadOnlySpan<byte> all) => (int)BinaryPrimitives.ReadUInt32LittleEndian(Take(all, 4));
        string Text(ReadOnlySpan<byte> all) => Encoding.UTF8.GetString(Take(all, Int(all)));
        var start = new List<string>();
        for (int i = Int(bytes); i > 0; i--)
            start.Add(Text(bytes));
        var limits = new List<(string, int, ulong)>();
        for (int i = Int(bytes); i > 0; i--)
        {
            string key = Text(bytes);
            int resource = Int(bytes);
            limits.Add((key, resource, BinaryPrimitives.ReadUInt64LittleEndian(Take(bytes, 8))));
        }
        int filterLength = Int(bytes);
        byte[]? filter = filterLength > 0 ? Take(bytes, filterLength).ToArray() : null;
        return (start, new Confinement(limits, filter));
    }

    private static SafeFileHandle SealedFile(string name, byte[] content) => Interop.SealedFile.Create(name, [content]);
}
