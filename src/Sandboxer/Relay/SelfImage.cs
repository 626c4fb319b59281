namespace Sandboxer.Relay;

/// <summary>
/// The files Sandboxer itself needs to run inside a sandbox: its binary and the shared libraries
/// and loader it has mapped (a static build has none), and the loader to start it through.
/// </summary>
public static class SelfImage
{
    public static string Binary => Environment.ProcessPath ?? throw new SandboxerException(ExitCodes.Software, "cannot find Sandboxer's own binary");

    /// <summary>Where the relay's binary is inside every sandbox.</summary>
    public const string InsidePath = Composition.RelayPlacement.Directory + "/relay";

    /// <summary>Where its libraries and loader are inside: found there by the loader's --library-path, not by the sandbox's own.</summary>
    public const string LibraryDirectory = Composition.RelayPlacement.Directory + "/lib";

    /// <summary>
    /// What starts the relay inside the sandbox and the files it needs there, all under one
    /// directory of the sandbox's own (<see cref="Composition.RelayPlacement"/>): the binary and,
    /// for a dynamically linked build, every library it has mapped and the loader, which is run
    /// directly so that neither the sandbox's /lib nor its ld.so.cache is ever consulted. A static
    /// build is started as itself.
    /// </summary>
    public static (List<string> Start, List<(string From, string To)> Binds) Layout()
    {
        string maps;
        try
        {
            maps = File.ReadAllText("/proc/self/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io("/proc/self/maps", e, ExitCodes.Software);
        }
        string binary = Binary;
        var binds = new List<(string, string)> { (binary, InsidePath) };
        var names = new HashSet<string>();
        foreach (var path in ExecutableMappings(maps))
        {
            if (path == binary)
                continue;
            string inside = LibraryDirectory + "/" + Path.GetFileName(path);
            if (!names.Add(inside))
                throw new SandboxerException(ExitCodes.Software, $"two libraries of Sandboxer's own are named {Path.GetFileName(path)}: cannot place them for the relay");
            binds.Add((path, inside));
        }
        if (Loader() is not string loader)
            return ([InsidePath], binds);
        string loaderInside = LibraryDirectory + "/" + Path.GetFileName(loader);
        if (!names.Contains(loaderInside))
            binds.Add((loader, loaderInside));
        return ([loaderInside, "--library-path", LibraryDirectory, InsidePath], binds);
    }

    /// <summary>
    /// The dynamic loader's real path; null for a static binary.
    /// </summary>
    private static string? Loader()
    {
        if (Interpreter(Binary) is not string interpreter)
            return null;
        int errno = Interop.Libc.RealPath(interpreter, out string real);
        return errno == 0 ? real : throw new SandboxerException(ExitCodes.Software,
            $"cannot find the dynamic loader {interpreter}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Files mapped executable in /proc/self/maps: the binary and its libraries.</summary>
    public static List<string> ExecutableMappings(string maps)
    {
        var files = new List<string>();
        foreach (var line in maps.Split('\n'))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 6 && fields[1].Contains('x') && fields[5].StartsWith('/') && !fields[5].EndsWith(" (deleted)", StringComparison.Ordinal)
                && !fields[5].StartsWith("/dev/", StringComparison.Ordinal) && !files.Contains(fields[5]))
                files.Add(fields[5]);
        }
        return files;
    }

    /// <summary>
    /// The PT_INTERP path of an ELF executable, or null for a static one or a file that is not an
    /// ELF object (a script); read by <see cref="Elf.ElfFile"/>, the project's one ELF reader.
    /// </summary>
    public static string? Interpreter(string elf)
    {
        using var file = File.OpenHandle(elf);
        Span<byte> header = stackalloc byte[20];
        if (RandomAccess.Read(file, header, 0) < header.Length || Elf.ElfFile.Identify(header) is null)
            return null;
        return Elf.ElfFile.Read(file, elf).Interpreter;
    }
}
