using System.Buffers.Binary;
using System.Diagnostics;
using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

public sealed class ElfFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sandboxer-elf-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private ElfFile Read(byte[] bytes, string name = "object")
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return ElfFile.Read(path);
    }

    private SandboxerException Malformed(byte[] bytes)
    {
        var e = Assert.Throws<SandboxerException>(() => Read(bytes));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.StartsWith(Path.Combine(directory, "object") + ": ", e.Message);
        return e;
    }

    [Fact]
    public void The_published_binary_names_its_interpreter_and_the_interpreter_has_none()
    {
        var binary = ElfFile.Read(Published.Binary);
        Assert.Matches(@"^/lib(64)?/ld-linux-(x86-64|aarch64)\.so\.\d$", binary.Interpreter);
        Assert.Contains("libc.so.6", binary.Needed);
        // The loader itself is linked statically: no interpreter of its own.
        Assert.Null(ElfFile.Read(Processes.RealPath(binary.Interpreter!)).Interpreter);
    }

    [Fact]
    public void A_built_image_reads_back_as_written()
    {
        var elf = Read(new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = "/lib/ld.so", Needed = ["liba.so", "libb.so"], SoName = "x", RPath = "/r", RunPath = "$ORIGIN", NoDefaultLibraries = true }.Build());
        Assert.Equal(new ElfKind(true, ElfKind.X86_64), elf.Kind);
        Assert.Equal("/lib/ld.so", elf.Interpreter);
        Assert.Equal(["liba.so", "libb.so"], elf.Needed);
        Assert.Equal(("x", "/r", "$ORIGIN", true), (elf.SoName, elf.RPath, elf.RunPath, elf.NoDefaultLibraries));
    }

    [Fact]
    public void Truncated_files_and_huge_counts_are_clear_errors()
    {
        var image = new ElfImage { Needed = ["liba.so"] }.Build();
        Assert.Contains("not an ELF file", Malformed([1, 2, 3]).Message);
        Assert.Contains("truncated ELF header", Malformed(image[..40]).Message);
        Assert.Contains("past the end of the file", Malformed(image[..100]).Message);

        var big = (byte[])image.Clone();
        big[5] = 2;
        Assert.Contains("big-endian", Malformed(big).Message);

        var headers = (byte[])image.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(headers.AsSpan(56), 0xffff);
        Assert.Contains("65535 program headers", Malformed(headers).Message);

        // The dynamic segment claims 2^40 bytes: refused by its count, before anything is read.
        var dynamic = (byte[])image.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(dynamic.AsSpan(64 + 2 * 56 - 56 + 32), 1UL << 40);
        Assert.Contains("a dynamic section of", Malformed(dynamic).Message);

        // The needed name's offset points past the string table.
        var name = (byte[])image.Clone();
        int dynamicAt = (int)BinaryPrimitives.ReadUInt64LittleEndian(name.AsSpan(64 + 56 + 8));
        BinaryPrimitives.WriteUInt64LittleEndian(name.AsSpan(dynamicAt + 8), 1UL << 33);
        Assert.Contains("a needed library's name outside the string table", Malformed(name).Message);
    }

    /// <summary>
    /// Thousands of mutations of real objects (bytes flipped in the ELF header, program headers,
    /// interpreter name and dynamic section, whose entries point into the string table; and
    /// truncations): each reads or is a configuration
    /// error naming the file, never another exception, and none takes long.
    /// </summary>
    [Fact]
    public void Mutated_real_objects_never_crash_or_hang_the_reader()
    {
        var random = new Random(9);
        string path = Path.Combine(directory, "mutant");
        int read = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        foreach (var source in new[] { "/bin/sh", Processes.RealPath(ElfFile.Read("/bin/sh").Interpreter!), Published.Binary })
        {
            var original = File.ReadAllBytes(source);
            var hot = HotRegions(original);
            File.WriteAllBytes(path, original);
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            for (int i = 0; i < 1500; i++)
            {
                // Each mutation is written over the copy and undone after: the file is written once.
                var changed = new List<int>();
                int flips = 1 + random.Next(8);
                for (int f = 0; f < flips; f++)
                {
                    var (start, size) = hot[random.Next(hot.Count)];
                    int at = start + random.Next(Math.Max(1, size));
                    if (at >= original.Length)
                        continue;
                    byte value = random.Next(4) == 0 ? (byte)0xff : (byte)random.Next(256);
                    RandomAccess.Write(file, new[] { value }, at);
                    changed.Add(at);
                }
                int length = random.Next(5) == 0 ? random.Next(original.Length) : original.Length;
                if (length < original.Length)
                    RandomAccess.SetLength(file, length);
                var clock = Stopwatch.StartNew();
                try
                {
                    ElfFile.Read(path);
                    read++;
                }
                catch (SandboxerException e)
                {
                    Assert.Equal(ExitCodes.Config, e.ExitCode);
                    Assert.StartsWith(path + ": ", e.Message);
                    refused++;
                }
                if (clock.Elapsed > slowest)
                    slowest = clock.Elapsed;
                if (length < original.Length)
                    RandomAccess.Write(file, original.AsSpan(length), length);
                foreach (int at in changed)
                    RandomAccess.Write(file, original.AsSpan(at, 1), at);
            }
        }
        Assert.True(read > 100 && refused > 100, $"{read} read, {refused} refused: the mutations do not reach both outcomes");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"one read took {slowest}");
        Assert.Equal(File.ReadAllBytes(Published.Binary), File.ReadAllBytes(path));
    }

    /// <summary>Where the reader looks: the ELF header, the program headers, the dynamic segment and the first KB of what it points at.</summary>
    private static List<(int Start, int Size)> HotRegions(byte[] elf)
    {
        var regions = new List<(int, int)> { (0, 64) };
        int table = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(56));
        regions.Add((table, count * 56));
        for (int i = 0; i < count; i++)
        {
            var entry = elf.AsSpan(table + i * 56);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            int offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            int size = (int)Math.Min(4096, BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]));
            if (type is 2 or 3)
                regions.Add((offset, size));
        }
        return regions;
    }
}
