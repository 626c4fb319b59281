using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>
/// A descriptor the sandbox gets, and the number the command line gives it. Show and run
/// number alike; only run has a handle, which owns the descriptor until the exec.
/// </summary>
public sealed record PassedDescriptor(SafeHandle Handle, int Number);
