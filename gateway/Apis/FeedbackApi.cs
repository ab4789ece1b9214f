using System.ComponentModel.DataAnnotations;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Gateway.Outcomes;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Apis;

/// <summary>A judgement of one earlier response: a score in [0, 1] or thumbs, with an optional label.</summary>
public sealed record FeedbackRequest([property: Required, MinLength(1), MaxLength(200)] string? RequestId, [property: Range(0d, 1d)] double? Score, bool? ThumbsUp, string? Label);

public sealed record FeedbackAccepted(string RequestId, string? Domain, string? Variant);

public static class FeedbackApi
{
    public const int MaxLabelLength = 200;

    public static RouteGroupBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/feedback").WithTags("Feedback");
        api.MapPost("/", PostFeedback).WithName("PostFeedback")
            .WithSummary("Report how good a response was")
            .WithDescription("Quote the X-Request-Id of the response. The gateway publishes FeedbackReceived with the domain and variant that served it (known for a day).");
        return api;
    }

    public static async Task<Results<Accepted<FeedbackAccepted>, ValidationProblem>> PostFeedback(
        FeedbackRequest request, NpgsqlDataSource dataSource, OutboxSignal signal, IConnectionMultiplexer redis, CancellationToken ct)
    {
        var errors = Validate(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        string? domain = null, variant = null;
        try
        {
            var remembered = await redis.GetDatabase().StringGetAsync(OutcomePublisher.RequestKey(request.RequestId!));
            if (remembered.HasValue && remembered.ToString().Split('\n') is [var d, var v]) (domain, variant) = (d, v);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Without Redis the feedback still counts; it just cannot name the variant.
        }

        var feedback = new FeedbackReceived(request.RequestId!, domain, variant, request.Score, request.ThumbsUp, request.Label?.Trim());
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Outbox.AddAsync(connection, tx, feedback, ct);
            await tx.CommitAsync(ct);
        }
        signal.Notify();
        return TypedResults.Accepted((string?)null, new FeedbackAccepted(feedback.RequestId, domain, variant));
    }

    public static Dictionary<string, string[]> Validate(FeedbackRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.RequestId) || request.RequestId.Length > 200)
        {
            errors["requestId"] = ["The X-Request-Id of the response being judged is required (at most 200 characters)."];
        }
        if (request.Score is null && request.ThumbsUp is null)
        {
            errors["score"] = ["Give a score in [0, 1], thumbsUp, or both."];
        }
        else if (request.Score is { } score && (!double.IsFinite(score) || score < 0 || score > 1))
        {
            errors["score"] = ["The score must lie within [0, 1]."];
        }
        if (request.Label is { Length: > MaxLabelLength })
        {
            errors["label"] = [$"The label may have at most {MaxLabelLength} characters."];
        }
        return errors;
    }
}
