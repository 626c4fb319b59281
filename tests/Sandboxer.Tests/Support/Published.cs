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

    /// <summary>
    /// $SANDBOXER_ARM64_BIN: the linux-arm64 binary, which build/test.sh cross-compiles and
    /// exports. Its absence is a failure, not a reason to skip: the server is arm64.
    /// </summary>
    public static string Arm64Binary =>
        Environment.GetEnvironmentVariable("SANDBOXER_ARM64_BIN") is { Length: > 0 } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException("$SANDBOXER_ARM64_BIN does not name the linux-arm64 binary: build/test.sh publishes it and sets it");

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
