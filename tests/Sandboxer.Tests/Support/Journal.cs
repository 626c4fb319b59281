namespace Sandboxer.Tests.Support;

/// <summary>A file a daemon in a sandbox appends a word a line to (started, stopping, hup...), read from the host.</summary>
public sealed class Journal(string directory, string name = "journal")
{
    public string Path { get; } = System.IO.Path.Combine(directory, name);

    public string[] Lines() => File.Exists(Path) ? File.ReadAllLines(Path) : [];

    public int Count(string word) => Lines().Count(line => line == word);

    public override string ToString() => $"[{string.Join(", ", Lines())}]";

    /// <summary>Waits until the journal is exactly <paramref name="expected"/>.</summary>
    public void WaitFor(params string[] expected) =>
        Assert.True(Processes.WaitUntil(() => Lines().SequenceEqual(expected), 20), $"{Path} is {this}, not [{string.Join(", ", expected)}]");

    /// <summary>Waits until <paramref name="word"/> is in the journal <paramref name="count"/> times.</summary>
    public void WaitForCount(string word, int count, int timeoutSeconds = 30) =>
        Assert.True(Processes.WaitUntil(() => Count(word) >= count, timeoutSeconds), $"{Path}: {count} times \"{word}\" expected, it is {this}");
}
