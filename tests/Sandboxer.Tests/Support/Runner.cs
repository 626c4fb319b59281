using System.Diagnostics;
using System.Text;

namespace Sandboxer.Tests.Support;

public sealed record RunResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string Output => Encoding.UTF8.GetString(Stdout);

    /// <summary>Stdout split at NUL bytes, as the probes print their findings.</summary>
    public List<byte[]> NulSeparated() => Sandboxer.Cli.RawArguments.Split(Stdout);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Stderr}";
}

/// <summary>Starts processes with exact argument bytes, through sh so that bytes need not be UTF-8.</summary>
public static class Runner
{
    /// <param name="prelude">sh commands run before the exec, such as "exec 5</dev/null" or "trap '' HUP".</param>
    public static Process Start(string program, IEnumerable<byte[]> args, IDictionary<string, string>? environment = null, string prelude = "")
    {
        var script = new StringBuilder("set --\n");
        foreach (var arg in args)
        {
            // printf gives back any bytes from octal escapes; the trailing x keeps trailing newlines.
            script.Append("v=$(printf '");
            foreach (byte b in arg)
                script.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
            script.Append("x'); set -- \"$@\" \"${v%x}\"\n");
        }
        script.Append(prelude).Append('\n');
        script.Append("exec '").Append(program.Replace("'", "'\\''")).Append("' \"$@\"\n");

        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script.ToString());
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("SANDBOXER_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
                info.Environment[name] = value;
        }
        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    public static RunResult Run(string program, IEnumerable<byte[]> args, IDictionary<string, string>? environment = null, string prelude = "", int timeoutSeconds = 60)
    {
        using var process = Start(program, args, environment, prelude);
        return Wait(process, timeoutSeconds);
    }

    public static RunResult Run(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, string prelude = "", int timeoutSeconds = 60) =>
        Run(program, args.Select(Encoding.UTF8.GetBytes), environment, prelude, timeoutSeconds);

    public static RunResult Wait(Process process, int timeoutSeconds = 60)
    {
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} did not finish within {timeoutSeconds}s");
        }
        copy.Wait();
        return new RunResult(process.ExitCode, stdout.ToArray(), stderr.Result);
    }
}
