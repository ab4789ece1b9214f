using DomainPlatform.Assignment;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Gateway.Outcomes;

/// <summary>
/// <c>Platform:AssignmentKeySecret</c>: the secret that keys the assignment-key hash in outcome events. Required outside
/// Development, at least 32 characters, and the same on every gateway replica (the same user then has the same hash
/// everywhere). The launcher generates one per profile into <c>.platform/run/&lt;profile&gt;/assignment-key-secret</c>.
/// </summary>
public sealed class AssignmentKeyOptions
{
    public const string Section = "Platform";

    /// <summary>Used in Development when no secret is configured, so a developer's gateway starts without one.</summary>
    public const string DevelopmentSecret = "development-only-assignment-key-secret-never-in-production";

    public string? AssignmentKeySecret { get; set; }
}

internal sealed class AssignmentKeyOptionsValidator(IHostEnvironment environment) : IValidateOptions<AssignmentKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, AssignmentKeyOptions options)
    {
        if (string.IsNullOrEmpty(options.AssignmentKeySecret))
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"{AssignmentKeyOptions.Section}:AssignmentKeySecret is required outside Development: it keys the hashed assignment key in " +
                    $"events. Set Platform__AssignmentKeySecret to at least {AssignmentKeyHasher.MinimumSecretLength} random characters " +
                    "(e.g. `openssl rand -hex 32`), the same on every gateway replica.");
        }
        return options.AssignmentKeySecret.Length < AssignmentKeyHasher.MinimumSecretLength
            ? ValidateOptionsResult.Fail(
                $"{AssignmentKeyOptions.Section}:AssignmentKeySecret has {options.AssignmentKeySecret.Length} characters; it needs at least " +
                $"{AssignmentKeyHasher.MinimumSecretLength} (e.g. `openssl rand -hex 32`).")
            : ValidateOptionsResult.Success;
    }
}
