using System.Security.Cryptography;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.Deployment.Data;

public sealed record VerifiedArtifact(string Path, string Sha256, long SizeBytes);

/// <summary>
/// Checks that an artifact file exists, has the sha256 it claims and is a GGUF model inference can load (the
/// managed validator inference runs before loading), before it is registered or loaded.
/// </summary>
public static class ArtifactVerifier
{
    public static async Task<VerifiedArtifact> VerifyAsync(string? path, string? sha256, long? expectedSize, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(path) || !System.IO.Path.IsPathFullyQualified(path)) errors["artifactPath"] = ["An absolute artifact path is required."];
        if (string.IsNullOrWhiteSpace(sha256) || sha256.Length != 64 || !sha256.All(Uri.IsHexDigit)) errors["artifactSha256"] = ["The artifact's sha256 is 64 hex digits."];
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);

        var file = new FileInfo(path!);
        if (!file.Exists) throw DeploymentProblem.Invalid("artifactPath", $"No file at '{path}'.");
        if (expectedSize is { } size && size != file.Length)
        {
            throw DeploymentProblem.Invalid("artifactSizeBytes", $"The file has {file.Length} bytes, not the {size} claimed.");
        }
        string actual;
        await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        }
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw DeploymentProblem.Invalid("artifactSha256", $"The file's sha256 is {actual}, not the {sha256!.ToLowerInvariant()} claimed.");
        }
        try
        {
            GgufValidator.ValidateFile(file.FullName);
        }
        catch (GgufFormatException ex)
        {
            throw DeploymentProblem.Unprocessable("Not a loadable model", ex.Message);
        }
        return new VerifiedArtifact(file.FullName, actual, file.Length);
    }
}
