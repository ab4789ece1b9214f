using System.Globalization;
using System.Text.Json;
using DomainPlatform.Console.Components.Shared;

namespace DomainPlatform.Console.Gateway;

/// <summary>
/// What one variant of a domain holds on inference (<c>GET /api/inference/models</c>): memory (weights and KV cache), KV cells
/// and slots in use, GPU layers and device. <see cref="Loaded"/> is false when inference does not hold the variant's model.
/// </summary>
public sealed record VariantResources(
    string Variant, string Version, string ModelId, bool Loaded, long WeightsBytes, long KvCacheBytes, int KvCellsUsed, int KvCellsTotal,
    int SlotsBusy, int Slots, int GpuLayers, int Layers, string Device, IReadOnlyList<string> SharedWith)
{
    public long MemoryBytes => WeightsBytes + KvCacheBytes;

    public double KvUsage => KvCellsTotal == 0 ? 0 : (double)KvCellsUsed / KvCellsTotal;
}

/// <summary>The figures of a domain's page, read from the APIs' JSON (pure: the page only draws them).</summary>
public static class DomainFigures
{
    private static readonly string[] Palette = ["#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037"];

    /// <summary>The colour of a variant wherever the page draws it: stable blue, canary amber, an experiment's arms the palette.</summary>
    public static string Colour(string variant, int index) => variant switch
    {
        "stable" => "#1f4e79",
        "canary" => "#c77c02",
        _ => Palette[index % Palette.Length],
    };

    /// <summary>
    /// Each variant of the domain's route (stable, canary or an experiment's arms, in the route's order) with the figures of its
    /// model id (the route table names each variant's model id, so the id's form is deployment's business alone).
    /// </summary>
    public static IReadOnlyList<VariantResources> Resources(JsonElement route, JsonElement inference)
    {
        var models = inference.Items("models").ToDictionary(m => m.Str("id"), StringComparer.Ordinal);
        return route.Items("variants").Select(v =>
        {
            var id = v.Str("modelId");
            if (!models.TryGetValue(id, out var m)) return new VariantResources(v.Str("name"), v.Str("modelVersion"), id, false, 0, 0, 0, 0, 0, 0, 0, 0, "", []);
            return new VariantResources(v.Str("name"), v.Str("modelVersion"), id, true,
                Long(m, "weightsBytes"), Long(m, "kvCacheBytes"), Int(m, "kvCells.used"), Int(m, "kvCells.total"), Int(m, "slots.busy"), Int(m, "slots.total"),
                Int(m, "gpuLayers"), Int(m, "layers"), m.Str("device"), m.Items("sharedWith").Select(s => s.GetString() ?? "").ToList());
        }).ToList();
    }

    /// <summary>
    /// One line per version of the health trend (<c>GET /api/metrics/health/trend</c>): the score (0-100) of each slot with one,
    /// at the slot's start in Unix seconds, coloured as the route's variant serving that version.
    /// </summary>
    public static IReadOnlyList<LineSeries> HealthSeries(JsonElement trend, JsonElement route)
    {
        var variants = route.Items("variants").Select((v, i) => (Name: v.Str("name"), Version: v.Str("modelVersion"), Index: i)).ToList();
        return trend.Items("versions").Select((t, i) =>
        {
            var version = t.Str("modelVersion");
            var variant = variants.FirstOrDefault(v => v.Version == version);
            var points = t.Items("points")
                .Where(p => p.Num("score") is not null && p.Time("start") is not null)
                .Select(p => (X: p.Time("start")!.Value.ToUnixTimeMilliseconds() / 1000.0, Y: p.Num("score")!.Value))
                .OrderBy(p => p.X).ToList();
            var name = variant.Name is { Length: > 0 } n ? $"{version} ({n})" : version;
            return new LineSeries(name, variant.Name is { Length: > 0 } ? Colour(variant.Name, variant.Index) : Palette[(variants.Count + i) % Palette.Length], points);
        }).ToList();
    }

    /// <summary>The range a trend covers (its <c>from</c> and <c>until</c>, Unix seconds): the chart's x axis, however few slots have scores.</summary>
    public static (double? From, double? Until) TrendWindow(JsonElement trend) =>
        (trend.Time("from")?.ToUnixTimeMilliseconds() / 1000.0, trend.Time("until")?.ToUnixTimeMilliseconds() / 1000.0);

    /// <summary>An SLA target's figure as the SLA states it: latency in ms, the rates in percent.</summary>
    public static string SlaFigure(string target, double? value) => (target, value) switch
    {
        (_, null) => "–",
        ("latency_p95_ms", { } ms) => $"{ms.ToString("0.#", CultureInfo.InvariantCulture)} ms",
        (_, { } rate) => Json.Percent(rate * 100),
    };

    /// <summary>An SLA target's name in words (the API's name for one it does not know).</summary>
    public static string SlaTargetName(string target) => target switch
    {
        "latency_p95_ms" => "p95 latency",
        "error_rate" => "error rate",
        _ => target,
    };

    /// <summary>A target's comparison: latency and error rate are met at or below the threshold, availability and accuracy at or above.</summary>
    public static string SlaBound(string target) => target is "latency_p95_ms" or "error_rate" ? "≤" : "≥";

    /// <summary>The SLA targets of a trend's or health view's <c>sla</c> object, in one line.</summary>
    public static string SlaTargets(JsonElement sla)
    {
        if (sla.ValueKind != JsonValueKind.Object) return "";
        var parts = new List<string>
        {
            $"p95 ≤ {SlaFigure("latency_p95_ms", sla.Num("latencyP95Ms"))}",
            $"errors ≤ {SlaFigure("error_rate", sla.Num("maxErrorRate"))}",
            $"availability ≥ {SlaFigure("availability", sla.Num("minAvailability"))}",
        };
        if (sla.Num("minAccuracy") is { } accuracy) parts.Add($"accuracy ≥ {SlaFigure("accuracy", accuracy)}");
        return string.Join(", ", parts) + $" over {Json.Seconds(sla.Num("windowSeconds"))}" + (sla.Bool("isDefault") ? " (the defaults: no violations are recorded)" : "");
    }

    private static long Long(JsonElement e, string path) => e.Get(path) is { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out var v) ? v : 0;

    private static int Int(JsonElement e, string path) => (int)Math.Clamp(Long(e, path), int.MinValue, int.MaxValue);
}
