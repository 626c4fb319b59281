using System.Text;

namespace Sandboxer.Install;

/// <summary>
/// Writes what import and install make, never over anything silently: a new file is created
/// with O_CREAT|O_EXCL (which also refuses a planted symbolic link at its name), and a file
/// that is already there is either the same text (left alone) or a conflict.
/// </summary>
public static class FileWriter
{
    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Traversable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Creates every file in <paramref name="directory"/>, or none when one exists with other text.</summary>
    public static void CreateAll(string directory, IReadOnlyList<(string Name, string Text)> files)
    {
        var conflicts = new List<string>();
        var unchanged = new HashSet<string>();
        foreach (var (name, text) in files)
        {
            string path = Path.Combine(directory, name);
            if (Existing(path) is not { } existing)
                continue;
            if (existing == text)
                unchanged.Add(name);
            else
                conflicts.Add(path);
        }
        if (conflicts.Count > 0)
            throw new SandboxerException(ExitCodes.CannotCreate,
                $"{string.Join(", ", conflicts)}: already there, with other content; nothing written (move {(conflicts.Count == 1 ? "it" : "them")} away, or write elsewhere with --into)");
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, Traversable);
        foreach (var (name, text) in files)
        {
            string path = Path.Combine(directory, name);
            if (unchanged.Contains(name))
            {
                Console.Out.Write($"unchanged {path}\n");
                continue;
            }
            Create(path, text, Readable);
            Console.Out.Write($"wrote {path}\n");
        }
    }

    /// <summary>
    /// Replaces <paramref name="name"/> in <paramref name="directory"/> by renaming a new file
    /// over it, never opening it for writing, so that the name always leads to the old text or
    /// to the new one.
    /// </summary>
    public static void Replace(string directory, string name, string text, UnixFileMode mode)
    {
        string path = Path.Combine(directory, name);
        string fresh = Path.Combine(directory, $".{name}.sandboxer-new");
        Create(fresh, text, mode);
        try
        {
            File.Move(fresh, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(fresh);
            throw SandboxerException.Io(path, e, ExitCodes.CannotCreate);
        }
    }

    /// <summary>A new file with <paramref name="mode"/>; an existing name, a link included, fails.</summary>
    public static void Create(string path, string text, UnixFileMode mode)
    {
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
            stream.Write(new UTF8Encoding(false).GetBytes(text));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e, ExitCodes.CannotCreate);
        }
    }

    /// <summary>The text of a regular file at <paramref name="path"/>, null if nothing is there; anything else there is a conflict.</summary>
    public static string? Existing(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            throw new SandboxerException(ExitCodes.CannotCreate, $"{path}: is a symbolic link; not followed, not replaced");
        if (Directory.Exists(path))
            throw new SandboxerException(ExitCodes.CannotCreate, $"{path}: is a directory");
        if (!info.Exists)
            return null;
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io(path, e, ExitCodes.CannotCreate);
        }
    }
}
