using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Apis;

/// <summary>Per-domain routing analytics; confidence is the Thompson weight (probability the domain gives the best reward).</summary>
public sealed record RoutingView(string Domain, long Decisions, long Judged, double? AverageAccuracy, double? AverageLatencyMs, double? AverageReward, double Confidence);

public static class RoutingApi
{
    public static RouteGroupBuilder MapRoutingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/routing").WithTags("Routing");
        api.MapGet("/", List).WithName("ListRouting")
            .WithSummary("Routing analytics per domain: decisions, average accuracy, latency and reward, and the learned weight (confidence)");
        api.MapGet("/{domain}", Get).WithName("GetRouting").WithSummary("Routing analytics of one domain");
        return api;
    }

    public static async Task<Ok<IReadOnlyList<RoutingView>>> List(RoutingStore store, IOptions<RoutingOptions> options, CancellationToken ct) =>
        TypedResults.Ok(Views(await store.ListAsync(ct), options.Value));

    public static async Task<Results<Ok<RoutingView>, ProblemHttpResult>> Get(string domain, RoutingStore store, IOptions<RoutingOptions> options, CancellationToken ct) =>
        Views(await store.ListAsync(ct), options.Value).FirstOrDefault(v => v.Domain == domain) is { } view
            ? TypedResults.Ok(view)
            : TypedResults.Problem(title: "No routing data", detail: $"No request has been seen for domain '{domain}'.", statusCode: StatusCodes.Status404NotFound);

    private static IReadOnlyList<RoutingView> Views(IReadOnlyList<RoutingStats> stats, RoutingOptions options)
    {
        var learned = stats.Where(s => s.RewardCount > 0).ToArray();
        var weights = RoutingOptimizer.Weights(learned, options.Draws, Random.Shared);
        return stats.Select(s => new RoutingView(s.Domain, s.Decisions, s.RewardCount,
            s.AccuracyCount > 0 ? s.AccuracySum / s.AccuracyCount : null,
            s.LatencyCount > 0 ? s.LatencySum / s.LatencyCount : null,
            s.RewardCount > 0 ? s.RewardSum / s.RewardCount : null,
            weights.GetValueOrDefault(s.Domain))).ToArray();
    }
}
