using Sandboxer.Cli;
using Sandboxer.Cli.Commands;

namespace Sandboxer.Tests.Cli.Commands;

public class AuditCommandsParseTests
{
    private static CommandContext Context(params string[] args) => CommandLine.Parse("sandboxer", args).Context;

    [Fact]
    public void Check_takes_names_or_all_and_a_user()
    {
        var options = CheckCommand.Parse(Context("check", "tor", "socat", "--user", "tor:tor"));
        Assert.Equal(("tor socat", false, "tor:tor"), (string.Join(' ', options.Names), options.All, options.User));
        options = CheckCommand.Parse(Context("--profile-dir", "/p", "check", "--all", "--user=svc"));
        Assert.Equal((true, "svc"), (options.All, options.User));
    }

    [Theory]
    [InlineData("check")]
    [InlineData("check", "--all", "tor")]
    [InlineData("check", "tor", "--user")]
    [InlineData("check", "--usr", "x", "tor")]
    [InlineData("check", "../x")]
    [InlineData("audit")]
    [InlineData("audit", "tor", "--all")]
    [InlineData("audit", "tor", "--threshold")]
    [InlineData("audit", "tor", "--threshold", "11")]
    [InlineData("audit", "tor", "--threshold", "-1")]
    [InlineData("audit", "tor", "--threshold", "high")]
    [InlineData("audit", "tor", "--jsno")]
    public void Wrong_arguments_are_usage_errors(params string[] args)
    {
        var invocation = CommandLine.Parse("sandboxer", args);
        var e = Assert.Throws<SandboxerException>(() =>
        {
            if (invocation.Command is CheckCommand)
                CheckCommand.Parse(invocation.Context);
            else
                AuditCommand.Parse(invocation.Context);
        });
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Fact]
    public void Audit_takes_json_and_a_threshold()
    {
        var parsed = AuditCommand.Parse(Context("audit", "tor", "--json", "--threshold", "4.5"));
        Assert.Equal(("tor", false, true, (double?)4.5), (string.Join(' ', parsed.Names), parsed.All, parsed.Json, parsed.Threshold));
        var options = AuditCommand.Parse(Context("audit", "--all", "--threshold=6"));
        Assert.Equal((true, false, 6.0), (options.All, options.Json, options.Threshold));
    }

    [Fact]
    public void Help_lists_check_and_audit()
    {
        Assert.Contains("sandboxer [--profile-dir DIR] check NAME...|--all [--user USER]", CommandLine.Help);
        Assert.Contains("sandboxer [--profile-dir DIR] audit NAME...|--all [--json] [--threshold N]", CommandLine.Help);
    }

    [Fact]
    public void Trace_takes_a_name_seconds_and_the_daemons_arguments_after_a_double_dash()
    {
        var options = TraceCommand.Parse(Context("trace", "tor", "--seconds", "5", "--", "-f", "--seconds"));
        Assert.Equal(("tor", 5, "-f --seconds"), (options.Name, options.Seconds, string.Join(' ', options.Args)));
        Assert.Equal(TraceCommand.DefaultSeconds, TraceCommand.Parse(Context("trace", "tor")).Seconds);
        foreach (var wrong in new[] { new[] { "trace" }, ["trace", "tor", "--seconds"], ["trace", "tor", "--seconds", "0"], ["trace", "tor", "-f"] })
            Assert.Equal(ExitCodes.Usage, Assert.Throws<SandboxerException>(() => TraceCommand.Parse(Context(wrong))).ExitCode);
    }

    [Fact]
    public void Straces_libraries_are_read_from_its_loaders_list_under_glibc_and_musl()
    {
        Assert.Equal([("libunwind.so.8", "/lib/x86_64-linux-gnu/libunwind.so.8"), ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")],
            Sandboxer.Audit.TraceRun.ParseList("\tlinux-vdso.so.1 (0x00007f)\n\tlibunwind.so.8 => /lib/x86_64-linux-gnu/libunwind.so.8 (0x00007f)\n" +
                "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n"));
        Assert.Equal([("libunwind.so.8", "/usr/lib/libunwind.so.8"), ("libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1")],
            Sandboxer.Audit.TraceRun.ParseList("\t/lib/ld-musl-x86_64.so.1 (0x7f)\n\tlibunwind.so.8 => /usr/lib/libunwind.so.8 (0x7f)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f)\n"));
    }
}
