using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// libraries = "auto" on real bwrap: programs run in a sandbox that has only the files the
/// resolver chose (no /usr, /lib or loader bind of the profile's own).
/// </summary>
public sealed class PortableLibrariesTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    /// <summary>The musl programs build/test.sh links (Support/Musl), from SANDBOXER_PROBES.</summary>
    private static string MuslProgram(string name)
    {
        string? directory = Environment.GetEnvironmentVariable("SANDBOXER_PROBES");
        Assert.False(string.IsNullOrEmpty(directory), "SANDBOXER_PROBES is not set: build/test.sh builds the musl programs there");
        string path = Path.Combine(directory, name);
        Assert.True(File.Exists(path), $"{path} is missing: build/test.sh builds it with musl-gcc");
        return path;
    }

    private static void Copy(string from, string to, string mode = "755")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
        File.SetUnixFileMode(to, (UnixFileMode)Convert.ToInt32(mode, 8));
    }

    private RunResult Run(string name, string profile, params string[] args)
    {
        profiles.Write(name, profile);
        return Runner.Run(profiles.Link(name), args, profiles.Environment(), timeoutSeconds: 60);
    }

    [Fact]
    public void A_musl_program_runs_with_its_loader_and_a_library_found_by_runpath_origin()
    {
        string app = Path.Combine(profiles.Root, "app");
        Copy(MuslProgram("musl-hello"), Path.Combine(app, "bin", "hello"));
        Copy(MuslProgram("libgreet.so"), Path.Combine(app, "bin", "lib", "libgreet.so"), "644");

        // The loader reads the program's $ORIGIN from /proc/self/exe.
        var result = Run("musl", $"""
            command = "{app}/bin/hello"
            libraries = "auto"
            [sandbox]
            proc = "/proc"
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello from libgreet, musl\n", result.Output);
        string show = Runner.Run(profiles.Sandboxer, ["show", "musl"], profiles.Environment()).Output;
        Assert.Contains($"--ro-bind {app}/bin/lib/libgreet.so {app}/bin/lib/libgreet.so", show);
        // The loader's link, at its real place: /lib itself is a link on a merged /usr.
        Assert.Matches(@"--symlink x86_64-linux-musl/libc\.so (/usr)?/lib/ld-musl-x86_64\.so\.1 ", show);
        Assert.DoesNotContain("--ro-bind /usr/lib ", show);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_library_directory_needed_whole_is_one_bind_and_one_extra_file_keeps_the_file_binds(bool extra)
    {
        string app = Path.Combine(profiles.Root, "app");
        Copy(MuslProgram("musl-hello"), Path.Combine(app, "bin", "hello"));
        Copy(MuslProgram("libgreet.so"), Path.Combine(app, "bin", "lib", "libgreet.so"), "644");
        Copy(MuslProgram("libgreet.so"), Path.Combine(app, "bin", "lib", "libplugin.so"), "644");
        if (extra)
            File.WriteAllText(Path.Combine(app, "bin", "lib", "notes.txt"), "not a library\n");

        var result = Run("grouped", $"""
            command = "{app}/bin/hello"
            libraries = "auto"
            dlopen = ["libplugin.so"]
            [sandbox]
            proc = "/proc"
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello from libgreet, musl\n", result.Output);
        string show = Runner.Run(profiles.Sandboxer, ["show", "grouped"], profiles.Environment()).Output;
        if (extra)
        {
            Assert.Contains($"--ro-bind {app}/bin/lib/libgreet.so {app}/bin/lib/libgreet.so", show);
            Assert.Contains($"--ro-bind {app}/bin/lib/libplugin.so {app}/bin/lib/libplugin.so", show);
            Assert.DoesNotContain($"--ro-bind {app}/bin/lib {app}/bin/lib ", show);
        }
        else
        {
            Assert.Contains($"--ro-bind {app}/bin/lib {app}/bin/lib ", show);
            Assert.DoesNotContain($"{app}/bin/lib/", show);
        }
    }

    [Fact]
    public void A_musl_program_finds_its_library_through_the_loaders_path_file()
    {
        // The loader's prefix decides where it reads its path file: /tmp/sandboxer-musl-prefix/etc/.
        const string Prefix = "/tmp/sandboxer-musl-prefix";
        if (Directory.Exists(Prefix))
            Directory.Delete(Prefix, recursive: true);
        try
        {
            string arch = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64";
            Copy(Processes.RealPath($"/lib/ld-musl-{arch}.so.1"), $"{Prefix}/lib/ld-musl-{arch}.so.1");
            Copy(MuslProgram("libgreet.so"), $"{Prefix}/greet/libgreet.so", "644");
            Directory.CreateDirectory($"{Prefix}/etc");
            File.WriteAllText($"{Prefix}/etc/ld-musl-{arch}.path", $"{Prefix}/nothing-here\n{Prefix}/greet\n");
            string app = Path.Combine(profiles.Root, "hello");
            Copy(MuslProgram("musl-hello-pathfile"), app);

            var result = Run("pathfile", $"""
                command = "{app}"
                libraries = "auto"
                """);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal("hello from libgreet, musl\n", result.Output);
        }
        finally
        {
            Directory.Delete(Prefix, recursive: true);
        }
    }

    [Fact]
    public void Ffmpeg_transcodes_a_file_with_only_the_files_its_loader_opens()
    {
        string data = Path.Combine(profiles.Root, "data");
        Directory.CreateDirectory(data);
        var made = Runner.Run("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", Path.Combine(data, "in.wav")]);
        Assert.True(made.ExitCode == 0, made.ToString());

        var result = Run("ffmpeg", $"""
            command = "/usr/bin/ffmpeg"
            args = ["-nostdin", "-hide_banner", "-loglevel", "error"]
            libraries = "auto"
            [sandbox]
            bind = [{Toml.Bind(data, "/data")}]
            """, "-i", "/data/in.wav", "-c:a", "flac", "/data/out.flac");

        Assert.True(result.ExitCode == 0, $"ffmpeg failed in the sandbox: {result}");
        var probe = Runner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,duration", "-of", "default=nw=1", Path.Combine(data, "out.flac")]);
        Assert.Equal("codec_name=flac\nduration=1.000000\n", probe.Output);
        string show = Runner.Run(profiles.Sandboxer, ["show", "ffmpeg"], profiles.Environment()).Output;
        Assert.DoesNotContain("--ro-bind /usr ", show);
        Assert.DoesNotContain("--ro-bind /usr/lib ", show);
    }

    [Fact]
    public void Debug_logging_says_why_each_file_was_chosen()
    {
        profiles.Write("sh", """
            command = "/bin/sh"
            libraries = "auto"
            """);
        var env = profiles.Environment();
        env["SANDBOXER_LOG"] = "debug";

        var result = Runner.Run(profiles.Sandboxer, ["show", "sh"], env);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"sandboxer: debug: library /usr/lib/\S+/libc\.so\.6: libc\.so\.6, needed by /(usr/)?bin/\S+, found by ", result.Stderr);
        Assert.Contains("interpreter of ", result.Stderr);
    }

    [Fact]
    public void A_missing_library_is_a_profile_error_naming_the_key_and_who_needed_it()
    {
        // The library is there, but without /proc the loader cannot expand the program's $ORIGIN.
        string app = Path.Combine(profiles.Root, "app");
        Copy(MuslProgram("musl-hello"), Path.Combine(app, "hello"));
        Copy(MuslProgram("libgreet.so"), Path.Combine(app, "lib", "libgreet.so"), "644");

        var result = Run("broken", $"""
            command = "{app}/hello"
            libraries = "auto"
            """);

        Assert.Equal(78, result.ExitCode);
        Assert.StartsWith($"sandboxer: {profiles.Path}/broken.toml:2:13: libraries: libgreet.so, needed by {app}/hello: not found (searched ", result.Stderr);
        Assert.DoesNotContain($"{app}/lib/libgreet.so", result.Stderr);
    }
}
