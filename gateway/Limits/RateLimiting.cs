using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Claims;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Inference;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Limits;

/// <summary>
/// Applies the per-key token bucket to every request made with an API key; 429 with Retry-After when empty. While Redis
/// is away (a failed draw opens <see cref="RedisCircuit"/>) each request is decided at once by
/// <see cref="RateLimitOptions.WhenRedisDown"/>: let through (the default) or refused with 503 and Retry-After; counted
/// on <c>gateway.rate_limit.unchecked</c> and logged once per outage.
/// </summary>
internal static partial class RateLimiting
{
    public const string RemainingHeader = "X-RateLimit-Remaining";

    public static WebApplication UseKeyRateLimits(this WebApplication app)
    {
        var limiter = app.Services.GetRequiredService<LeasedRateLimiter>();
        var circuit = app.Services.GetRequiredService<RedisCircuit>();
        var options = app.Services.GetRequiredService<IOptionsMonitor<RateLimitOptions>>();
        var gateway = app.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimiting).FullName!);
        var uncheckedRequests = app.Services.GetRequiredService<IMeterFactory>().Create("DomainPlatform.Gateway")
            .CreateCounter<long>("gateway.rate_limit.unchecked", "{request}", "Requests decided without the shared bucket while Redis was away, by outcome (allowed, refused)");
        app.Use(async (context, next) =>
        {
            var keyId = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
            var settings = options.CurrentValue;
            if (keyId is null || !settings.Enabled)
            {
                await next();
                return;
            }

            var openFor = gateway.CurrentValue.RedisRetry;
            RateLimitDecision? decision = null;
            if (circuit.TryEnter(openFor))
            {
                try
                {
                    decision = await limiter.TryTakeAsync(keyId, settings);
                    if (circuit.RecordSuccess()) LogRedisBack(logger);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (circuit.RecordFailure(openFor)) LogRedisDown(logger, settings.WhenRedisDown, ex.Message);
                }
            }

            if (decision is null)
            {
                if (settings.WhenRedisDown == RedisOutageRule.Allow)
                {
                    uncheckedRequests.Add(1, new KeyValuePair<string, object?>("outcome", "allowed"));
                    await next();
                    return;
                }
                uncheckedRequests.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
                var retry = Math.Max(1, (int)Math.Ceiling(Math.Max(circuit.RetryIn().TotalSeconds, openFor.TotalSeconds)));
                context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Rate limits unavailable",
                    $"Rate limits cannot be checked while the gateway's Redis is unreachable, and this gateway refuses unchecked requests (Gateway:RateLimit:WhenRedisDown = Refuse); retry in {retry} s.");
                return;
            }

            context.Response.Headers[RemainingHeader] = Math.Floor(decision.Remaining).ToString(CultureInfo.InvariantCulture);
            if (!decision.Allowed)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Rate limit exceeded",
                    $"This API key has used its burst of {settings.Capacity} requests; retry in {seconds} s.");
                return;
            }
            await next();
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unreachable: rate limits not checked until it answers again (unchecked requests: {Rule}): {Reason}")]
    private static partial void LogRedisDown(ILogger logger, RedisOutageRule rule, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again: rate limits checked")]
    private static partial void LogRedisBack(ILogger logger);
}
