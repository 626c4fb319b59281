using System.Buffers.Binary;
using System.Text;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Interop;

namespace Sandboxer.Elf;

/// <summary>What identifies an ELF object's ABI: two objects load together only if these match.</summary>
/// <param name="Is64">ELFCLASS64, else ELFCLASS32.</param>
/// <param name="Machine">e_machine (62 x86-64, 183 AArch64...).</param>
public readonly record struct ElfKind(bool Is64, ushort Machine)
{
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;
    public const ushort I386 = 3;
    public const ushort Arm = 40;

    public override string ToString() => (Machine switch
    {
        X86_64 => "x86-64",
        AArch64 => "aarch64",
        I386 => "i386",
        Arm => "arm",
        _ => "machine " + Machine.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }) + (Is64 ? " 64-bit" : " 32-bit");
}

/// <summary>
/// The headers of one ELF object that decide what the dynamic loader loads for it: its ABI,
/// interpreter and dynamic section (needed names, run paths, NODEFLIB, soname).
/// </summary>
public sealed record ElfFile(
    ElfKind Kind,
    ushort Type,
    string? Interpreter,
    bool IsDynamic,
    IReadOnlyList<string> Needed,
    string? SoName,
    string? RPath,
    string? RunPath,
    bool NoDefaultLibraries)
{
    public const ushort TypeExecutable = 2;
    public const ushort TypeShared = 3;

    // Hard caps: far above any real object, low enough that a crafted count costs nothing.
    private const int MaxProgramHeaders = 4096;
    private const int MaxDynamicEntries = 65536;
    private const int MaxNeeded = 4096;
    private const int MaxPath = 4096;
    private const int MaxStringSpan = 4 << 20;

    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const long DtNull = 0, DtNeeded = 1, DtStrTab = 5, DtStrSize = 10, DtSoName = 14, DtRPath = 15, DtRunPath = 29, DtFlags1 = 0x6ffffffb;
    private const ulong Df1NoDefLib = 0x800;

    /// <summary>
    /// The first bytes of a file: its ABI if it is a little-endian ELF object the loader could map
    /// (an executable or shared object), else null. What the loader checks before it skips a
    /// candidate of the wrong class or machine.
    /// </summary>
    public static ElfKind? Identify(ReadOnlySpan<byte> header)
    {
        if (header.Length < 20 || !header[..4].SequenceEqual("\u007fELF"u8) || header[4] is not (1 or 2) || header[5] != 1 || header[6] != 1)
            return null;
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        if (type is not (TypeExecutable or TypeShared))
            return null;
        return new ElfKind(header[4] == 2, BinaryPrimitives.ReadUInt16LittleEndian(header[18..]));
    }

    /// <summary>Opens and reads an ELF object's headers (see <see cref="Read(SafeFileHandle, string)"/>).</summary>
    public static ElfFile Read(string path)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e);
        }
        using (file)
            return Read(file, path);
    }

    /// <summary>
    /// Reads an ELF object's headers; anything malformed is a configuration error that begins with
    /// <paramref name="path"/> (the resolver passes the file and the object that needed it).
    /// </summary>
    public static ElfFile Read(SafeFileHandle file, string path)
    {
        long length = RandomAccess.GetLength(file);
        var page = new byte[FirstRead];
        int got = Read(file, page.AsSpan(0, (int)Math.Min(length, FirstRead)), 0, path);
        return Read(file, length, page.AsSpan(0, got), path);
    }

    /// <summary>How many of a file's first bytes <see cref="Read(SafeFileHandle, long, ReadOnlySpan{byte}, string)"/> wants already read.</summary>
    internal const int FirstRead = 4096;

    /// <summary>
    /// Reads an ELF object's headers from a file of <paramref name="length"/> bytes whose first
    /// bytes (up to <see cref="FirstRead"/>, fewer only at the end of the file) the caller has read
    /// already, to tell its kind: none is read twice.
    /// </summary>
    internal static ElfFile Read(SafeFileHandle file, long length, ReadOnlySpan<byte> page, string path)
    {
        // The first page holds the ELF header and, in every linker's layout, the program headers
        // and often the interpreter's name: one read where four would do.
        int got = page.Length;
        ReadOnlySpan<byte> header = page;
        if (got < 20 || !header[..4].SequenceEqual("\u007fELF"u8))
            throw Malformed(path, "not an ELF file");
        if (header[5] != 1)
            throw Malformed(path, "a big-endian ELF file, which Sandboxer does not read");
        if (header[4] is not (1 or 2) || header[6] != 1)
            throw Malformed(path, "an ELF file of an unknown class or version");
        bool is64 = header[4] == 2;
        int headerSize = is64 ? 64 : 52;
        if (got < headerSize)
            throw Malformed(path, "truncated ELF header");
        var kind = new ElfKind(is64, BinaryPrimitives.ReadUInt16LittleEndian(header[18..]));
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        ulong tableOffset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(header[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 54 : 42)..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(header[(is64 ? 56 : 44)..]);
        if (count == 0)
            return new ElfFile(kind, type, null, false, [], null, null, null, false);
        if (entrySize != (is64 ? 56 : 32))
            throw Malformed(path, $"program header entries of {entrySize} bytes");
        if (count > MaxProgramHeaders)
            throw Malformed(path, $"{count} program headers");
        var table = ReadRange(file, length, tableOffset, (ulong)(count * entrySize), path, "the program headers", page);

        var loads = new List<Segment>();
        Segment? dynamic = null;
        string? interpreter = null;
        for (int i = 0; i < count; i++)
        {
            var entry = table.AsSpan(i * entrySize, entrySize);
            uint segmentType = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            var segment = is64
                ? new Segment(BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]), BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]), BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]))
                : new Segment(BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]), BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]), BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]));
            switch (segmentType)
            {
                case PtLoad:
                    loads.Add(segment);
                    break;
                case PtDynamic:
                    dynamic ??= segment;
                    break;
                case PtInterp when interpreter is null:
                    if (segment.FileSize is 0 or > MaxPath)
                        throw Malformed(path, $"an interpreter name of {segment.FileSize} bytes");
                    var name = ReadRange(file, length, segment.Offset, segment.FileSize, path, "the interpreter's name", page);
                    int end = Array.IndexOf(name, (byte)0);
                    interpreter = Decode(end < 0 ? name : name.AsSpan(0, end), path, "the interpreter's name");
                    if (interpreter.Length == 0)
                        throw Malformed(path, "an empty interpreter name");
                    break;
            }
        }
        if (dynamic is not Segment dyn)
            return new ElfFile(kind, type, interpreter, false, [], null, null, null, false);

        int dynamicSize = is64 ? 16 : 8;
        ulong entries = dyn.FileSize / (ulong)dynamicSize;
        if (entries > MaxDynamicEntries)
            throw Malformed(path, $"a dynamic section of {entries} entries");
        var section = ReadRange(file, length, dyn.Offset, entries * (ulong)dynamicSize, path, "the dynamic section", page);
        var needed = new List<ulong>();
        ulong? strTab = null, strSize = null, soName = null, rpath = null, runpath = null;
        ulong flags1 = 0;
        for (int i = 0; i < (int)entries; i++)
        {
            var entry = section.AsSpan(i * dynamicSize, dynamicSize);
            long tag = is64 ? BinaryPrimitives.ReadInt64LittleEndian(entry) : BinaryPrimitives.ReadInt32LittleEndian(entry);
            ulong value = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            if (tag == DtNull)
                break;
            switch (tag)
            {
                case DtNeeded:
                    if (needed.Count == MaxNeeded)
                        throw Malformed(path, $"more than {MaxNeeded} needed libraries");
                    needed.Add(value);
                    break;
                case DtStrTab: strTab ??= value; break;
                case DtStrSize: strSize ??= value; break;
                case DtSoName: soName ??= value; break;
                case DtRPath: rpath ??= value; break;
                case DtRunPath: runpath ??= value; break;
                case DtFlags1: flags1 = value; break;
            }
        }
        bool noDefaultLibraries = (flags1 & Df1NoDefLib) != 0;
        if (needed.Count == 0 && soName is null && rpath is null && runpath is null)
            return new ElfFile(kind, type, interpreter, true, [], null, null, null, noDefaultLibraries);
        if (strTab is not ulong address || strSize is not ulong size)
            throw Malformed(path, "a dynamic section without a string table");
        var strings = new StringTable(file, length, OffsetOf(loads, address, size, path), size, path);
        strings.Preload(CollectionsMarshal.AsSpan(needed), [soName, rpath, runpath]);
        var names = new List<string>(needed.Count);
        foreach (var offset in needed)
            names.Add(strings.Get(offset, "a needed library's name"));
        return new ElfFile(kind, type, interpreter, true, names,
            soName is ulong s ? strings.Get(s, "the soname") : null,
            rpath is ulong r ? strings.Get(r, "the RPATH") : null,
            runpath is ulong rp ? strings.Get(rp, "the RUNPATH") : null,
            noDefaultLibraries);
    }

    private readonly record struct Segment(ulong Offset, ulong Address, ulong FileSize);

    /// <summary>Where in the file an address of the loaded image lies: through the PT_LOAD segment that maps it.</summary>
    private static ulong OffsetOf(List<Segment> loads, ulong address, ulong size, string path)
    {
        foreach (var load in loads)
        {
            if (address >= load.Address && address - load.Address < load.FileSize && size <= load.FileSize - (address - load.Address))
                return load.Offset + (address - load.Address);
        }
        throw Malformed(path, "a string table outside every loaded segment");
    }

    /// <summary>
    /// The dynamic string table, read once as the span between the first and last string asked
    /// for: objects are read in one pass, and their needed names, soname and run paths sit close
    /// together. A string that span does not hold whole is read on its own.
    /// </summary>
    private sealed class StringTable(SafeFileHandle file, long length, ulong offset, ulong size, string path)
    {
        // Past the last string's start: enough for any usual name or run path.
        private const int Tail = 512;
        private const int MaxSpan = 64 << 10;

        private byte[]? bytes;
        private ulong start;

        /// <summary>Reads the strings at these indexes in one pread when they lie close enough.</summary>
        public void Preload(ReadOnlySpan<ulong> indexes, ReadOnlySpan<ulong?> more)
        {
            ulong first = ulong.MaxValue, last = 0;
            foreach (var index in indexes)
            {
                first = Math.Min(first, index);
                last = Math.Max(last, index);
            }
            foreach (var index in more)
            {
                if (index is ulong i)
                {
                    first = Math.Min(first, i);
                    last = Math.Max(last, i);
                }
            }
            if (first > last || last >= size || last - first > MaxSpan)
                return;
            ulong count = Math.Min(size, last + Tail) - first;
            if (!Within(length, offset + first, count))
                return;
            var buffer = new byte[count];
            if (Read(file, buffer, (long)(offset + first), path) < buffer.Length)
                return;
            bytes = buffer;
            start = first;
        }

        public string Get(ulong index, string what)
        {
            if (index >= size)
                throw Malformed(path, $"{what} outside the string table");
            if (bytes is not null && index >= start && index < start + (ulong)bytes.Length)
            {
                var held = bytes.AsSpan((int)(index - start));
                int length = held.IndexOf((byte)0);
                if (length >= 0 && length <= MaxPath)
                    return Decode(held[..length], path, what);
            }
            ulong count = Math.Min(size - index, MaxPath + 1);
            bytes = ReadRange(file, length, offset + index, count, path, what);
            start = index;
            var text = bytes.AsSpan();
            int end = text.IndexOf((byte)0);
            if (end < 0)
            {
                if (text.Length > MaxPath || start + (ulong)bytes.Length < size)
                    throw Malformed(path, $"{what} longer than {MaxPath} bytes");
                throw Malformed(path, $"{what} not terminated");
            }
            return Decode(text[..end], path, what);
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes, string path, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw Malformed(path, $"{what} is not valid UTF-8");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <param name="page">The file's first bytes, already read: a range within them is not read again.</param>
    private static byte[] ReadRange(SafeFileHandle file, long length, ulong offset, ulong count, string path, string what, ReadOnlySpan<byte> page = default)
    {
        if (!Within(length, offset, count))
            throw Malformed(path, $"{what} past the end of the file (truncated?)");
        if (offset + count <= (ulong)page.Length)
            return page.Slice((int)offset, (int)count).ToArray();
        var buffer = new byte[count];
        if (Read(file, buffer, (long)offset, path) < buffer.Length)
            throw Malformed(path, $"{what} past the end of the file (truncated?)");
        return buffer;
    }

    private static bool Within(long length, ulong offset, ulong count) =>
        count <= MaxStringSpan && offset <= (ulong)length && count <= (ulong)length - offset;

    /// <summary>As many bytes as the file has from <paramref name="offset"/>, up to the buffer's length.</summary>
    internal static int Read(SafeFileHandle file, Span<byte> buffer, long offset, string path)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int errno = Libc.PRead((int)file.DangerousGetHandle(), buffer[total..], offset + total, out int n);
            if (errno != 0)
                throw SandboxerException.Config($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    private static SandboxerException Malformed(string path, string why) => SandboxerException.Config($"{path}: {why}");
}
