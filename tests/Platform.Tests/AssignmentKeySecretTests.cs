namespace DomainPlatform.Platform.Tests;

/// <summary>./platform gives the gateway a secret of the profile's own for keying assignment-key hashes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the launcher is bash on Linux
public sealed class AssignmentKeySecretTests
{
    [Fact]
    public async Task A_profile_gets_a_private_random_secret_once_and_only_the_gateway_is_given_it()
    {
        var profile = "secret-" + Guid.NewGuid().ToString("N")[..8];
        var runDir = (await Launcher.SourcedAsync($"infra_config\nprofile_config '{profile}'\nensure_assignment_key_secret\nprintf '%s' \"$RUN_DIR\"")).Trim();
        try
        {
            var file = Path.Combine(runDir, "assignment-key-secret");
            var secret = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            Assert.Matches("^[0-9a-f]{64}$", secret);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

            // Made once: a second start of the profile keeps it, so hashes stay the same across restarts.
            await Launcher.SourcedAsync($"infra_config\nprofile_config '{profile}'\nensure_assignment_key_secret");
            Assert.Equal(secret, await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));

            var gateway = await Launcher.ServiceEnvironmentAsync("gateway", profile);
            Assert.Equal(secret, gateway["Platform__AssignmentKeySecret"]);
            foreach (var service in new[] { "deployment", "experimentation", "extraction", "training", "inference" })
            {
                Assert.DoesNotContain("Platform__AssignmentKeySecret", (await Launcher.ServiceEnvironmentAsync(service, profile)).Keys);
            }

            // Another profile has a secret of its own.
            var otherProfile = profile + "-b";
            var otherDir = (await Launcher.SourcedAsync($"infra_config\nprofile_config '{otherProfile}'\nensure_assignment_key_secret\nprintf '%s' \"$RUN_DIR\"")).Trim();
            try
            {
                Assert.NotEqual(secret, await File.ReadAllTextAsync(Path.Combine(otherDir, "assignment-key-secret"), TestContext.Current.CancellationToken));
            }
            finally
            {
                Directory.Delete(otherDir, recursive: true);
            }
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
