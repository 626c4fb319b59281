using System.Buffers.Binary;
using System.Text;

namespace Sandboxer.Elf;

/// <summary>
/// glibc's /etc/ld.so.cache in its binary format ("glibc-ld.so.cache1.1", alone or after the old
/// "ld.so-1.7.0" table): for each library name, every path the cache lists for one ABI, in the
/// cache's order. A cache the loader could not use (malformed, another byte order) is treated
/// as absent, as the loader treats it.
/// </summary>
public sealed class LoaderCache
{
    private const string OldMagic = "ld.so-1.7.0";
    private const string NewMagic = "glibc-ld.so.cache1.1";
    private const int NewHeaderSize = 48;
    private const int NewEntrySize = 24;
    private const int OldEntrySize = 12;
    // Far above any real cache (Debian's lists about 2,000 libraries in 100 KB).
    private const int MaxSize = 64 << 20;

    private const int FlagTypeMask = 0x00ff, FlagElfLibc6 = 0x0003, FlagRequiredMask = 0xff00;

    private readonly Dictionary<string, List<string>> byName;

    private LoaderCache(Dictionary<string, List<string>> byName) => this.byName = byName;

    public static readonly LoaderCache Empty = new([]);

    /// <summary>The paths the cache gives for <paramref name="name"/> (glibc-hwcaps variants included), best first.</summary>
    public IReadOnlyList<string> Find(string name) => byName.TryGetValue(name, out var paths) ? paths : [];

    /// <summary>
    /// The entries for objects of <paramref name="kind"/>: ldconfig marks each with its ABI
    /// (x86-64 0x0300, AArch64 0x0a00, 32-bit x86 none...), and the loader takes only its own.
    /// </summary>
    public static LoaderCache Parse(ReadOnlySpan<byte> data, ElfKind kind)
    {
        if (data.Length > MaxSize || RequiredFlags(kind) is not int required)
            return Empty;
        int start = 0;
        if (data.StartsWith(Encoding.ASCII.GetBytes(OldMagic)))
        {
            if (data.Length < 16)
                return Empty;
            long count = BinaryPrimitives.ReadUInt32LittleEndian(data[12..]);
            long end = 16 + count * OldEntrySize;
            if (end > data.Length)
                return Empty;
            start = (int)((end + 7) & ~7L);
        }
        if (start > data.Length - NewHeaderSize || !data[start..].StartsWith(Encoding.ASCII.GetBytes(NewMagic)))
            return Empty;
        var cache = data[start..];
        // Byte order as ldconfig wrote it: 0 unknown (old ldconfig, this machine's), 2 little-endian.
        if (cache[28] is not (0 or 2))
            return Empty;
        long entries = BinaryPrimitives.ReadUInt32LittleEndian(cache[20..]);
        if (NewHeaderSize + entries * NewEntrySize > cache.Length)
            return Empty;
        var byName = new Dictionary<string, List<string>>((int)entries);
        for (int i = 0; i < entries; i++)
        {
            var entry = cache.Slice(NewHeaderSize + i * NewEntrySize, NewEntrySize);
            int flags = BinaryPrimitives.ReadInt32LittleEndian(entry);
            if ((flags & FlagTypeMask) != FlagElfLibc6 || (flags & FlagRequiredMask) != required)
                continue;
            if (String(cache, BinaryPrimitives.ReadUInt32LittleEndian(entry[4..])) is not string key
                || String(cache, BinaryPrimitives.ReadUInt32LittleEndian(entry[8..])) is not string value)
                return Empty;
            if (!byName.TryGetValue(key, out var paths))
                byName[key] = paths = [];
            if (!paths.Contains(value))
                paths.Add(value);
        }
        return new LoaderCache(byName);
    }

    /// <summary>ldconfig's FLAG_X8664_LIB64, FLAG_AARCH64_LIB64... for an ABI; null for one it has no mark for.</summary>
    private static int? RequiredFlags(ElfKind kind) => (kind.Is64, kind.Machine) switch
    {
        (true, ElfKind.X86_64) => 0x0300,
        (true, ElfKind.AArch64) => 0x0a00,
        (false, ElfKind.I386) => 0,
        _ => null,
    };

    private static string? String(ReadOnlySpan<byte> cache, uint offset)
    {
        if (offset >= cache.Length)
            return null;
        var rest = cache[(int)offset..];
        int end = rest.IndexOf((byte)0);
        return end <= 0 || end > 4096 || !System.Text.Unicode.Utf8.IsValid(rest[..end]) ? null : Encoding.UTF8.GetString(rest[..end]);
    }
}
