namespace Sandboxer.Profiles;

/// <summary>How the daemon tells its supervisor it is ready.</summary>
public enum ReadyNotify
{
    /// <summary>It does not, through Sandboxer: no descriptor or variable is passed for it.</summary>
    None,
    /// <summary>"fd:N": the supervisor's descriptor N reaches the daemon as N (OpenRC's notify=fd:N).</summary>
    Descriptor,
    /// <summary>"socket": the sd_notify protocol, relayed from a socket inside the sandbox to $NOTIFY_SOCKET.</summary>
    Socket,
}

/// <summary>[ready]: readiness notification through the sandbox.</summary>
public sealed class ReadySettings
{
    public ReadyNotify Notify { get; set; }
    /// <summary>N of "fd:N".</summary>
    public int Descriptor { get; set; }
    /// <summary>Where notify was set, for the checks across files.</summary>
    public Location Location { get; set; }

    /// <summary>The descriptor passed on as it is, when there is one.</summary>
    public int? PassedDescriptor => Notify == ReadyNotify.Descriptor ? Descriptor : null;
}
