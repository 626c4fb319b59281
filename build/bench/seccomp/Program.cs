using System.Diagnostics;
using Sandboxer.Seccomp;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// From the profile's rules to BPF bytes, as a start does it: resolving the groups, building the
// policy, compiling. The first call (cold: what one start pays) and the median of many.
(bool, string)[] rules = [(true, "@system-service"), (false, "@keyring"), (false, "userfaultfd")];
int[] families = [1, 2, 10, 16];
var table = SyscallTable.Current;
byte[] Compile() => BpfCompiler.Compile(SeccompPolicy.Build(table, rules, SeccompAction.Errno(1), families));

var clock = Stopwatch.StartNew();
int size = Compile().Length;
double cold = clock.Elapsed.TotalMilliseconds;
var times = new double[2000];
for (int i = 0; i < times.Length; i++)
{
    clock.Restart();
    Compile();
    times[i] = clock.Elapsed.TotalMilliseconds;
}
Array.Sort(times);
Console.WriteLine($"{table.Name} @system-service: {size / 8} instructions; first compile {cold:F3} ms, median {times[times.Length / 2]:F4} ms, min {times[0]:F4} ms");
return 0;
