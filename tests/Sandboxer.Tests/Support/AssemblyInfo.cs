// The product and its tests are for Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// End-to-end tests start sandboxes and supervisors; two cores are shared by all of them.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
