using Sandboxer.Profiles;

namespace Sandboxer.Audit;

public enum Severity { Error, Warning, Note }

/// <summary>
/// One thing check found: data, not an exception, so that all of them can be listed and the
/// exit status chosen at the end. Printed as a compiler prints, "file:line:col: error: key: why".
/// </summary>
/// <param name="At">Where in a profile, when the finding belongs to a key.</param>
/// <param name="Key">The key ("sandbox.ro-bind[2]"), when there is one.</param>
public sealed record Finding(Severity Severity, Location? At, string? Key, string Message)
{
    /// <summary>A reader's error: located ones keep their parts, others (trust, syntax) their whole message.</summary>
    public static Finding From(SandboxerException error) =>
        error.At is { } at && error.Key is { } key && error.Why is { } why
            ? new(Severity.Error, at, key, why)
            : new(Severity.Error, null, null, error.Message);

    public static Finding Error(Location? at, string? key, string message) => new(Severity.Error, at, key, message);

    public static Finding Warning(Location? at, string? key, string message) => new(Severity.Warning, at, key, message);

    public string SeverityName => Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "note" };

    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        if (At is { } at)
            text.Append(at.ToString()).Append(": ");
        text.Append(SeverityName).Append(": ");
        if (Key is not null)
            text.Append(Key).Append(": ");
        return Messages.Visible(text.Append(Message).ToString());
    }
}
