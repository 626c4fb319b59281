using Sandboxer.Profiles;

namespace Sandboxer.Composition;

/// <summary>
/// The order mounts are made in: as written (defaults.toml first, then the service's file),
/// except that a mount never comes before a mount on one of its parent directories, which
/// would hide it. So `bind /data/db` written before `tmpfs /data` still ends up visible.
/// </summary>
public static class MountOrder
{
    public static List<MountOp> Sort(IReadOnlyList<MountOp> mounts)
    {
        int count = mounts.Count;
        var byDestination = new Dictionary<string, List<int>>(count);
        for (int i = 0; i < count; i++)
        {
            if (!byDestination.TryGetValue(mounts[i].Destination, out var same))
                byDestination[mounts[i].Destination] = same = [];
            same.Add(i);
        }

        // An edge from each mount to those on its nearest mounted ancestor is enough:
        // farther ancestors come before that one in turn.
        // Ancestors are looked up as slices of the destination: no string per ancestor.
        var byAncestor = byDestination.GetAlternateLookup<ReadOnlySpan<char>>();
        var children = new List<int>?[count];
        var waitingFor = new int[count];
        for (int i = 0; i < count; i++)
        {
            var destination = mounts[i].Destination.AsSpan();
            for (int end = ParentLength(destination); end > 0; end = ParentLength(destination[..end]))
            {
                if (byAncestor.TryGetValue(destination[..end], out var ancestors))
                {
                    foreach (int a in ancestors)
                        (children[a] ??= []).Add(i);
                    waitingFor[i] = ancestors.Count;
                    break;
                }
            }
        }

        // Kahn's algorithm, always taking the earliest-written mount that is ready.
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < count; i++)
        {
            if (waitingFor[i] == 0)
                ready.Enqueue(i, i);
        }
        var sorted = new List<MountOp>(count);
        while (ready.TryDequeue(out int next, out _))
        {
            sorted.Add(mounts[next]);
            foreach (int child in children[next] ?? [])
            {
                if (--waitingFor[child] == 0)
                    ready.Enqueue(child, child);
            }
        }
        return sorted;
    }

    /// <summary>The length of a destination's parent ("/a" for "/a/b", "/" for "/a"); 0 for "/" itself.</summary>
    private static int ParentLength(ReadOnlySpan<char> path)
    {
        if (path is "/")
            return 0;
        int slash = path.LastIndexOf('/');
        return slash == 0 ? 1 : slash;
    }
}
