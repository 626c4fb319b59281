using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// <see cref="SeedMigration"/> with the published binary in the package's layout
/// (<see cref="ProfileDirectory.LayOutPackage"/>): the shipped defaults.toml in the profile
/// directory and as shipped beside the binary, as on a server where the package came first.
/// PackagingTests runs the same with the installed .deb, on the host.
/// </summary>
public sealed class MigrationTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly SeedMigration migration;
    private readonly string packagedHub;

    public MigrationTests()
    {
        packagedHub = profiles.LayOutPackage();
        migration = new SeedMigration(profiles, profiles.Sandboxer, profiles.Path, profiles.Environment());
    }

    public void Dispose()
    {
        migration.Dispose();
        profiles.Dispose();
    }

    [Fact]
    public void Import_over_the_packages_hub_then_install_replaces_the_wrapper_and_the_service_runs_the_same_sandbox_and_stops_gracefully() =>
        migration.Run(packagedHub);
}
