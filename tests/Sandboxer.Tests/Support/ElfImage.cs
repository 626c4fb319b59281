using System.Buffers.Binary;
using System.Text;
using Sandboxer.Elf;

namespace Sandboxer.Tests.Support;

/// <summary>
/// A small 64-bit little-endian ELF object built in memory: one PT_LOAD over the whole file,
/// PT_INTERP if asked, and PT_DYNAMIC with the needed names, soname, run paths and flags given.
/// Enough for the loader's headers; nothing in it runs.
/// </summary>
public sealed record ElfImage
{
    public ushort Machine { get; init; } = ElfKind.X86_64;
    public ushort Type { get; init; } = ElfFile.TypeShared;
    public string? Interpreter { get; init; }
    public string[] Needed { get; init; } = [];
    public string? SoName { get; init; }
    public string? RPath { get; init; }
    public string? RunPath { get; init; }
    public bool NoDefaultLibraries { get; init; }

    public byte[] Build()
    {
        var strings = new MemoryStream();
        strings.WriteByte(0);
        int Add(string text)
        {
            int at = (int)strings.Length;
            strings.Write(Encoding.UTF8.GetBytes(text));
            strings.WriteByte(0);
            return at;
        }
        var dynamic = new List<(long Tag, ulong Value)>();
        foreach (var name in Needed)
            dynamic.Add((1, (ulong)Add(name)));
        if (SoName is not null)
            dynamic.Add((14, (ulong)Add(SoName)));
        if (RPath is not null)
            dynamic.Add((15, (ulong)Add(RPath)));
        if (RunPath is not null)
            dynamic.Add((29, (ulong)Add(RunPath)));
        if (NoDefaultLibraries)
            dynamic.Add((0x6ffffffb, 0x800));
        byte[] interp = Interpreter is null ? [] : [.. Encoding.UTF8.GetBytes(Interpreter), 0];

        int headers = Interpreter is null ? 2 : 3;
        int interpAt = 64 + headers * 56;
        int stringsAt = interpAt + interp.Length;
        int dynamicAt = (stringsAt + (int)strings.Length + 7) & ~7;
        dynamic.Add((5, (ulong)stringsAt));
        dynamic.Add((10, (ulong)strings.Length));
        dynamic.Add((0, 0));
        int size = dynamicAt + dynamic.Count * 16;
        var image = new byte[size];
        var span = image.AsSpan();
        "\u007fELF"u8.CopyTo(span);
        span[4] = 2;
        span[5] = 1;
        span[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], (ushort)headers);
        int header = 64;
        void Program(uint type, int offset, int length)
        {
            var p = image.AsSpan(header, 56);
            BinaryPrimitives.WriteUInt32LittleEndian(p, type);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], (ulong)length);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], (ulong)length);
            header += 56;
        }
        if (Interpreter is not null)
            Program(3, interpAt, interp.Length);
        Program(1, 0, size);
        Program(2, dynamicAt, dynamic.Count * 16);
        interp.CopyTo(span[interpAt..]);
        strings.ToArray().CopyTo(span[stringsAt..]);
        for (int i = 0; i < dynamic.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(dynamicAt + i * 16)..], dynamic[i].Tag);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(dynamicAt + i * 16 + 8)..], dynamic[i].Value);
        }
        return image;
    }
}

/// <summary>A root directory of hand-built objects and links, for the resolver; removed at the end.</summary>
public sealed class FakeRoot : IDisposable
{
    public const string GlibcLoader = "/lib64/ld-linux-x86-64.so.2";
    public const string MuslLoader = "/lib/ld-musl-x86_64.so.1";

    public string Root { get; } = Directory.CreateTempSubdirectory("sandboxer-elf-").FullName;

    public FakeRoot Write(string path, ElfImage image) => Write(path, image.Build());

    public FakeRoot Write(string path, byte[] bytes)
    {
        string outside = Root + path;
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.WriteAllBytes(outside, bytes);
        return this;
    }

    public FakeRoot Link(string path, string target)
    {
        string outside = Root + path;
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.CreateSymbolicLink(outside, target);
        return this;
    }

    public FakeRoot Directory_(string path)
    {
        Directory.CreateDirectory(Root + path);
        return this;
    }

    /// <summary>A glibc system: its loader in /lib64 and libc in the default directory.</summary>
    public FakeRoot Glibc()
    {
        Write(GlibcLoader, new ElfImage { SoName = "ld-linux-x86-64.so.2" });
        Write("/usr/lib64/libc.so.6", new ElfImage { SoName = "libc.so.6", Needed = ["ld-linux-x86-64.so.2"] });
        return this;
    }

    public LibraryResolver Resolve(string program, params string[] dlopen)
    {
        var resolver = new LibraryResolver(new FileTree(Root), "test.toml:1:1: libraries");
        resolver.AddProgram(program, dlopen);
        return resolver;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
