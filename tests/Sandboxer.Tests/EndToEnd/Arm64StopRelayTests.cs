using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Every stop relay test again with the binary the server runs: the arm64 launcher execs x64
/// bwrap, which starts the arm64 relay as the sandbox's PID 1 (under qemu on x64).
/// </summary>
[Collection(Aarch64Emulation.Collection)]
public sealed class Arm64StopRelayTests : StopRelayTests
{
    public Arm64StopRelayTests() : base(Published.Arm64Binary)
    {
    }
}
