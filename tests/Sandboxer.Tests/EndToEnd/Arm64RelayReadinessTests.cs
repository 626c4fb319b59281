using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The relay's readiness tests again with the binary the server runs: the arm64 launcher
/// passes the descriptor or connects the socket, and the arm64 relay (under qemu on x64)
/// passes the descriptor on or forwards.
/// </summary>
[Collection(Aarch64Emulation.Collection)]
public sealed class Arm64RelayReadinessTests : RelayReadinessTests
{
    public Arm64RelayReadinessTests() : base(Published.Arm64Binary)
    {
    }
}
