namespace Microsoft.Extensions.Hosting;

/// <summary>Names under which platform code publishes meters and activity sources, so defaults pick them up.</summary>
public static class PlatformTelemetry
{
    public const string MeterPrefix = "DomainPlatform.";
    public const string ActivitySourcePrefix = "DomainPlatform.";
}
