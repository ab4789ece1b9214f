using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>Names under which platform code publishes meters and activity sources, so defaults pick them up.</summary>
public static class PlatformTelemetry
{
    public const string MeterPrefix = "DomainPlatform.";
    public const string ActivitySourcePrefix = "DomainPlatform.";

    /// <summary>Span attributes (and baggage) naming the route the gateway chose for an inference request.</summary>
    public const string DomainAttribute = "platform.domain";
    public const string VariantAttribute = "platform.variant";
    public const string ModelVersionAttribute = "platform.model_version";

    /// <summary>
    /// Bucket bounds of the platform's own duration histograms (unit "s"): ASP.NET Core's request-duration bounds, and
    /// 30 s and 60 s for generation on a CPU.
    /// </summary>
    public static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

    internal static bool IsPlatformDuration(Instrument instrument) =>
        instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) && instrument.Unit == "s"
        && instrument.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(Histogram<>);

    internal static readonly string[] RouteAttributes = [DomainAttribute, VariantAttribute, ModelVersionAttribute];

    /// <summary>
    /// Puts the chosen route on the request's span and into its baggage, so that the spans of the service the
    /// request is forwarded to carry it too (<see cref="RouteBaggageProcessor"/>).
    /// </summary>
    public static void TagRoute(Activity? activity, string domain, string variant, string modelVersion)
    {
        if (activity is null) return;
        foreach (var (key, value) in new[] { (DomainAttribute, domain), (VariantAttribute, variant), (ModelVersionAttribute, modelVersion) })
        {
            activity.SetTag(key, value);
            // SetBaggage replaces what a client may have sent under the same name.
            activity.SetBaggage(key, value);
        }
    }
}
