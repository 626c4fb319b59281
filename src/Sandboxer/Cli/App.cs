namespace Sandboxer.Cli;

public static class App
{
    public static int Main(string[] args)
    {
        try
        {
            var invocation = CommandLine.Parse(Environment.GetCommandLineArgs()[0], args);
            if (invocation.Command is { } command)
                return command.Run(invocation.Context);
            Console.Out.Write(invocation.Help ? CommandLine.Help : $"sandboxer {BuildInfo.Version}\n");
            return 0;
        }
        catch (SandboxerException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not bad input; still a message and never a stack trace.
            return Fail(ExitCodes.Software, $"internal error: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>One line on stderr; what users and files gave is in it, so no control character gets to the terminal.</summary>
    private static int Fail(int code, string message)
    {
        Console.Error.Write($"sandboxer: {Messages.Visible(message)}\n");
        return code;
    }
}
