using System.Diagnostics;
using OpenTelemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>Copies the gateway's route baggage (domain, variant, model version) onto every span started under it.</summary>
internal sealed class RouteBaggageProcessor : BaseProcessor<Activity>
{
    public override void OnStart(Activity activity)
    {
        foreach (var key in PlatformTelemetry.RouteAttributes)
        {
            if (activity.GetBaggageItem(key) is { Length: > 0 } value) activity.SetTag(key, value);
        }
    }
}
