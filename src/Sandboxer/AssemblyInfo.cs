// bubblewrap, and so Sandboxer, exists only on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
