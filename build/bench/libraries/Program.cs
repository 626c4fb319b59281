using System.Diagnostics;
using Sandboxer.Elf;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// One program's libraries resolved as a start does it (a fresh tree and resolver each time, so
// nothing is remembered between runs but the kernel's caches): the first resolution (cold code),
// then the median and minimum of many, in wall time and in this process's CPU time (user + system),
// which other jobs on a shared machine disturb less.
string program = args.Length > 0 ? args[0] : "/usr/bin/ffmpeg";
int runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200;

int Resolve()
{
    var resolver = new LibraryResolver(new FileTree("/"), "bench");
    resolver.AddProgram(program, []);
    return resolver.Files.Count + resolver.Links.Count;
}

var clock = Stopwatch.StartNew();
int count = Resolve();
double cold = clock.Elapsed.TotalMilliseconds;
var wall = new double[runs];
var cpu = new double[runs];
var self = Process.GetCurrentProcess();
long allocated = GC.GetAllocatedBytesForCurrentThread();
for (int i = 0; i < runs; i++)
{
    self.Refresh();
    var before = self.TotalProcessorTime;
    clock.Restart();
    Resolve();
    wall[i] = clock.Elapsed.TotalMilliseconds;
    self.Refresh();
    cpu[i] = (self.TotalProcessorTime - before).TotalMilliseconds;
}
allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
Array.Sort(wall);
var total = cpu.Sum();
Console.WriteLine($"{program}: {count} files and links; first {cold:F2} ms, median {wall[runs / 2]:F2} ms, min {wall[0]:F2} ms, CPU (user+sys) {total / runs:F2} ms per resolution over {runs}, {allocated / runs / 1024} KiB allocated per resolution");
return 0;
