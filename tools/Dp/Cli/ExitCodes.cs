namespace DomainPlatform.Dp.Cli;

/// <summary>What dp's exit status means (docs/dp.md): scripts branch on these.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The gateway or a service refused the request (4xx or 5xx); its problem details are on stderr.</summary>
    public const int ApiError = 1;
    /// <summary>Bad arguments or no gateway configured.</summary>
    public const int Usage = 2;
    /// <summary>Nothing answered at the gateway's URL (connection refused, DNS, timeout).</summary>
    public const int Unreachable = 3;
    /// <summary>What was followed or checked ended without success: a rollout rolled back or aborted, a job failed, an unhealthy check.</summary>
    public const int Unsuccessful = 4;
}

/// <summary>A mistake in how dp was called, reported with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
