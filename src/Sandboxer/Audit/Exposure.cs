using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>One way a profile loosens the hub: how much it weighs (0 to 10), the key that does it, and why it matters.</summary>
/// <param name="At">Where the key is written; null for something left out (no unshare-net at all, no disable-userns).</param>
public sealed record Exposure(double Weight, string Key, Location? At, string Reason);

/// <summary>One kind of loosening audit weighs.</summary>
public interface IExposureRule
{
    IEnumerable<Exposure> Find(Profile profile);
}

/// <summary>
/// A profile's exposures and its score: their weights added, capped at 10. Every weight is
/// positive and no rule takes one away because another key is set, so loosening a profile
/// (adding share-net, a bind, a capability) never lowers its score.
/// </summary>
public sealed record ExposureReport(string Name, string File, List<Exposure> Exposures)
{
    public const double Maximum = 10;

    /// <summary>
    /// Every rule audit applies: [sandbox]'s loosenings, and the absence of what [seccomp],
    /// [limits] and [network] would hold the daemon to.
    /// </summary>
    public static readonly IExposureRule[] Rules = [new SandboxRules(), new ConfinementRules()];

    public double Score => Math.Min(Maximum, Math.Round(Exposures.Sum(e => e.Weight), 1));

    public static ExposureReport For(Profile profile, string file)
    {
        var exposures = new List<Exposure>();
        foreach (var rule in Rules)
            exposures.AddRange(rule.Find(profile));
        exposures.Sort((a, b) => b.Weight.CompareTo(a.Weight));
        return new ExposureReport(profile.Name, file, exposures);
    }
}
