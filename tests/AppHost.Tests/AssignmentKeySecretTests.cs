using DomainPlatform.AppHost.Infrastructure;

namespace DomainPlatform.AppHost.Tests;

/// <summary>The gateway's assignment-key secret under the AppHost: made once per data directory, private, kept.</summary>
public sealed class AssignmentKeySecretTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("apphost-secret-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void A_data_directory_gets_a_private_random_secret_once_and_keeps_it()
    {
        var file = Path.Combine(_directory.FullName, "profile", "assignment-key-secret");

        var secret = AssignmentKeySecret.ReadOrCreate(file, create: true);

        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.Equal(secret, File.ReadAllText(file));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        // A second start of the same data directory keeps it, so a user's hash stays the same across restarts.
        Assert.Equal(secret, AssignmentKeySecret.ReadOrCreate(file, create: true));
        // Another data directory has its own.
        Assert.NotEqual(secret, AssignmentKeySecret.ReadOrCreate(Path.Combine(_directory.FullName, "other", "assignment-key-secret"), create: true));
    }

    [Fact]
    public void Publishing_writes_nothing()
    {
        var file = Path.Combine(_directory.FullName, "assignment-key-secret");

        Assert.Matches("^[0-9a-f]{64}$", AssignmentKeySecret.ReadOrCreate(file, create: false));
        Assert.False(File.Exists(file));
    }
}
