// The product is for Linux only, and so is its fuzzer.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
