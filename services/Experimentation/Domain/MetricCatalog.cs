namespace DomainPlatform.Experimentation.Domain;

/// <summary>
/// A metric the service aggregates from outcome events. A rate counts trials and successes (for error_rate a
/// "success" is an error); a mean keeps count, sum and sum of squares.
/// </summary>
public sealed record MetricDefinition(string Name, bool IsRate, bool HigherIsBetter, string Description);

public static class MetricCatalog
{
    public const string Accuracy = "accuracy";
    public const string FeedbackScore = "feedback_score";
    public const string LatencyMs = "latency_ms";
    public const string OwnLatencyMs = "own_latency_ms";
    public const string TimeToFirstTokenMs = "ttft_ms";
    public const string ErrorRate = "error_rate";
    public const string TokensIn = "tokens_in";
    public const string TokensOut = "tokens_out";

    public static readonly IReadOnlyList<MetricDefinition> All =
    [
        new(Accuracy, IsRate: true, HigherIsBetter: true, "Share of judged responses that were right: thumbs up, or a feedback score of at least 0.5."),
        new(FeedbackScore, IsRate: false, HigherIsBetter: true, "Mean feedback score in [0, 1] (thumbs up counts 1, thumbs down 0)."),
        new(LatencyMs, IsRate: false, HigherIsBetter: false, "Mean end-to-end latency of served (non-cached) requests, in milliseconds."),
        new(OwnLatencyMs, IsRate: false, HigherIsBetter: false, "Mean latency of served (non-cached) requests less the device time other models on the same inference device took while each was in flight: what the variant's own model cost, reported beside canary analyses (which judge end-to-end latency: own latency favours a lightly used model, whose steps decode smaller batches)."),
        new(TimeToFirstTokenMs, IsRate: false, HigherIsBetter: false, "Mean time to the first streamed token, in milliseconds."),
        new(ErrorRate, IsRate: true, HigherIsBetter: false, "Share of requests that failed."),
        new(TokensIn, IsRate: false, HigherIsBetter: false, "Mean prompt tokens per non-cached request."),
        new(TokensOut, IsRate: false, HigherIsBetter: false, "Mean completion tokens per non-cached request."),
    ];

    public static MetricDefinition? Find(string? name) => All.FirstOrDefault(m => m.Name == name);

    public static string Names => string.Join(", ", All.Select(m => m.Name));
}
