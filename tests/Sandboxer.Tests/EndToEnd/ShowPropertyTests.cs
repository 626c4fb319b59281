using System.Text;
using CsCheck;
using Sandboxer.Composition;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// `show` of the published binary, for any valid hub and spoke and any caller arguments (bytes
/// that need not be UTF-8): its line, run by sh, execs bwrap with exactly Composer's argv.
/// </summary>
public sealed class ShowPropertyTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string recorder, record;

    public ShowPropertyTests()
    {
        // The stand-in for bwrap: writes the argv it was given, NUL after each word.
        recorder = Path.Combine(profiles.Root, "record-bwrap");
        record = Path.Combine(profiles.Root, "argv");
        File.WriteAllText(recorder, $"#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\0' \"$a\"; done > '{record}'\n");
        File.SetUnixFileMode(recorder, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose() => profiles.Dispose();

    private static readonly Gen<byte[]> CallerArg = Gen.OneOf(
        ProfileGen.Word.Select(Encoding.UTF8.GetBytes),
        Gen.Byte[1, 255].Array[0, 4], // no NUL: argv cannot carry one
        Gen.OneOf("--"u8.ToArray(), "--help"u8.ToArray(), [0xc3, 0x28], [0xff, (byte)'\n']));

    [Fact]
    public void Shows_line_run_by_sh_gives_composers_argv_byte_for_byte()
    {
        Gen.Select(ProfileGen.Pair(), CallerArg.Array[0, 4]).Sample((pair, caller) =>
        {
            string hub = pair.Hub.ToToml($"bwrap = \"{recorder}\"\n");
            string spoke = pair.Spoke.ToToml(ProfileGen.Command);
            profiles.Write("defaults", hub);
            profiles.Write("svc", spoke);
            var profile = Toml.Load(hub, spoke);
            var expected = Composer.Compose(profile, Composer.Daemon(profile, caller));

            var show = Runner.Run(Published.Binary, new[] { "show"u8.ToArray(), "svc"u8.ToArray(), "--"u8.ToArray() }.Concat(caller), profiles.Environment());
            Assert.True(show.ExitCode == 0, show.ToString());
            File.Delete(record);
            var pasted = Runner.Run("/bin/sh", ["-c"u8.ToArray(), show.Stdout]);
            Assert.True(pasted.ExitCode == 0, pasted.ToString());
            Assert.Equal(expected, Sandboxer.Cli.RawArguments.Split(File.ReadAllBytes(record)));
        }, iter: 40, threads: 1);
    }
}
