namespace Sandboxer.Tests.Support;

/// <summary>The published NativeAOT binary the end-to-end tests run (build/test.sh publishes it first).</summary>
public static class Published
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>$SANDBOXER_BIN, or artifacts/linux-x64/sandboxer in the repository.</summary>
    public static string Binary
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("SANDBOXER_BIN") is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : Path.Combine(RepositoryRoot, "artifacts", "linux-x64", "sandboxer");
            if (!File.Exists(path))
                throw new InvalidOperationException($"{path} does not exist: publish it first (build/test.sh does)");
            return path;
        }
    }

    /// <summary>bwrap as the end-to-end tests use it: the system's, found by absolute path.</summary>
    public static string Bwrap
    {
        get
        {
            foreach (var candidate in new[] { "/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap" })
            {
                if (File.Exists(candidate))
                    return candidate;
            }
            throw new InvalidOperationException("bubblewrap is not installed: build/deps.sh installs it");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sandboxer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }
}
