using System.Text;
using CsCheck;
using Sandboxer.Composition;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Composition;

/// <summary>
/// Properties of composing any valid hub and spoke (CsCheck generates them and, on a failure,
/// shrinks to the smallest pair and prints the seed that reproduces it).
/// </summary>
public class ComposerPropertyTests
{
    private const int Iterations = 500;

    private static List<byte[]> Compose(string hub, string spoke, IReadOnlyList<byte[]>? caller = null)
    {
        var profile = Toml.Load(hub, spoke);
        return Composer.Compose(profile, Composer.Daemon(profile, caller ?? []));
    }

    [Fact]
    public void Composing_the_same_files_gives_the_same_argv_byte_for_byte()
    {
        ProfileGen.Pair().Sample((hub, spoke) =>
        {
            string hubText = hub.ToToml(), spokeText = spoke.ToToml(ProfileGen.Command);
            var first = Compose(hubText, spokeText);
            var second = Compose(hubText, spokeText);
            Assert.Equal(first, second);
            // And one profile composed twice: composing reads it and changes nothing.
            var profile = Toml.Load(hubText, spokeText);
            var daemon = Composer.Daemon(profile, []);
            Assert.Equal(Composer.Compose(profile, daemon), Composer.Compose(profile, daemon));
            Assert.Equal(first, Composer.Compose(profile, daemon));
        }, iter: Iterations);
    }

    [Fact]
    public void The_hubs_flags_survive_any_spoke_that_does_not_name_them()
    {
        ProfileGen.Pair(disjointFlags: true).Sample((hub, spoke) =>
        {
            var words = Compose(hub.ToToml(), spoke.ToToml(ProfileGen.Command)).Select(Encoding.UTF8.GetString).ToHashSet();
            bool IsSet(string flag) => Array.IndexOf(GeneratedFile.FlagNames, flag) is int at and >= 0 && (hub.Flags[at] == true || spoke.Flags[at] == true);
            for (int i = 0; i < GeneratedFile.FlagNames.Length; i++)
            {
                // The one flag the composer adds: disable-userns needs a user namespace bwrap was told to make.
                bool expected = hub.Flags[i] == true || spoke.Flags[i] == true
                    || GeneratedFile.FlagNames[i] == "unshare-user" && IsSet("disable-userns");
                string option = "--" + GeneratedFile.FlagNames[i];
                Assert.True(expected == words.Contains(option), $"{option}: hub {hub.Flags[i]}, spoke {spoke.Flags[i]}");
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Mount_order_never_puts_a_mount_before_one_on_its_parent()
    {
        ProfileGen.Pair().Sample((hub, spoke) =>
        {
            var profile = Toml.Load(hub.ToToml(), spoke.ToToml(ProfileGen.Command));
            var written = profile.Mounts;
            var sorted = MountOrder.Sort(written);
            // Every mount exactly once.
            Assert.Equal(written.OrderBy(m => written.IndexOf(m)), sorted.OrderBy(m => written.IndexOf(m)));
            for (int i = 0; i < sorted.Count; i++)
            {
                for (int j = i + 1; j < sorted.Count; j++)
                {
                    string earlier = sorted[i].Destination, later = sorted[j].Destination;
                    Assert.False(IsBelow(earlier, later), $"{earlier} is made before {later}, which would hide it");
                    // Two mounts on one destination: the later written wins, as written (the spoke's over the hub's).
                    if (earlier == later)
                        Assert.True(written.IndexOf(sorted[i]) < written.IndexOf(sorted[j]), $"{earlier}: written order reversed");
                }
            }
        }, iter: Iterations);
    }

    /// <summary>Whether <paramref name="path"/> is strictly inside <paramref name="ancestor"/> (both normal).</summary>
    private static bool IsBelow(string path, string ancestor) =>
        path != ancestor && (ancestor == "/" || path.StartsWith(ancestor + "/", StringComparison.Ordinal));
}
