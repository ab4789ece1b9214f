using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Service defaults every DomainPlatform process uses: telemetry, health, service discovery and
/// resilience, following the Aspire template's contract so the same binaries run under an AppHost,
/// the local launcher, Kubernetes and tests.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";
    /// <summary>Prometheus' scrape endpoint: every meter the service reports over OTLP, in Prometheus' text format.</summary>
    public const string MetricsPath = "/metrics";
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        // Bad bodies throw so the handler above can say what was wrong instead of an empty 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // One input rule for every field of every body: no NUL, no invalid UTF-16, no NaN or infinite numbers.
        builder.Services.ConfigureHttpJsonOptions(o => JsonInputRules.Apply(o.SerializerOptions));
        builder.Services.AddOpenApi(o => o
            .AddSchemaTransformer(OpenApiPrimitiveTypes.TransformAsync)
            .AddSchemaTransformer(OpenApiRequiredProperties.TransformAsync)
            .AddDocumentTransformer(OpenApiRequiredProperties.TransformDocumentAsync));
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(PlatformTelemetry.MeterPrefix + "*")
                // The platform's durations in seconds get buckets for seconds (the SDK's default ones, 0-10000, are for ms).
                .AddView(instrument => PlatformTelemetry.IsPlatformDuration(instrument)
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = PlatformTelemetry.SecondsBuckets }
                    : null)
                // Pulled at /metrics beside the OTLP push: a Prometheus server scrapes each instance on its own port.
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddProcessor(new RouteBaggageProcessor())
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(PlatformTelemetry.ActivitySourcePrefix + "*")
                .AddSource("MassTransit")
                .AddSource("Npgsql")
                // Probes and scrapes would drown every other trace.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments(HealthPath) && !ctx.Request.Path.StartsWithSegments(AlivePath)
                    && !ctx.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// The longest one health check may take: a dependency that does not answer within it is reported unhealthy (timed
    /// out), so /health answers within about this long even while a server hangs (a Redis or Postgres outage made it
    /// hang for as long as the client's own timeouts).
    /// </summary>
    public static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(3);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        // After every registration (the client integrations add theirs later): each check without a shorter timeout of
        // its own gets the default one.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                if (registration.Timeout <= TimeSpan.Zero || registration.Timeout > HealthCheckTimeout) registration.Timeout = HealthCheckTimeout;
            }
        });
        return builder;
    }

    /// <summary>
    /// Maps /health (readiness: every dependency) and /alive (liveness) in every environment, /metrics (Prometheus'
    /// scrape endpoint, unauthenticated like the probes), plus the OpenAPI document at /openapi/v1.json.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseJsonForUnlabelledBodies();
        // Routing after the rule above, so that it sees the body's type (otherwise routing would run first).
        app.UseRouting();
        app.UseRequestInputRules();
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        app.MapOpenApi();
        return app;
    }
}
