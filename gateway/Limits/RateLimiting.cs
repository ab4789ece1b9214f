using System.Globalization;
using System.Security.Claims;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Inference;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Limits;

/// <summary>
/// Applies the per-key token bucket to every request made with an API key; 429 with Retry-After when
/// empty. When Redis is unreachable requests pass (availability first) and the failure is logged.
/// </summary>
internal static partial class RateLimiting
{
    public const string RemainingHeader = "X-RateLimit-Remaining";

    public static WebApplication UseKeyRateLimits(this WebApplication app)
    {
        var limiter = app.Services.GetRequiredService<LeasedRateLimiter>();
        var options = app.Services.GetRequiredService<IOptionsMonitor<RateLimitOptions>>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimiting).FullName!);
        app.Use(async (context, next) =>
        {
            var keyId = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
            if (keyId is null || !options.CurrentValue.Enabled)
            {
                await next();
                return;
            }

            RateLimitDecision decision;
            try
            {
                decision = await limiter.TryTakeAsync(keyId, options.CurrentValue);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogRedisDown(logger, ex.Message);
                await next();
                return;
            }

            context.Response.Headers[RemainingHeader] = Math.Floor(decision.Remaining).ToString(CultureInfo.InvariantCulture);
            if (!decision.Allowed)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Rate limit exceeded",
                    $"This API key has used its burst of {options.CurrentValue.Capacity} requests; retry in {seconds} s.");
                return;
            }
            await next();
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiting skipped, Redis unreachable: {Reason}")]
    private static partial void LogRedisDown(ILogger logger, string reason);
}
