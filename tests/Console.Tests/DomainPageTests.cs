using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using DomainPlatform.Console.Components.Pages;
using DomainPlatform.Console.Gateway;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace DomainPlatform.Console.Tests;

/// <summary>The APIs' answers a domain page reads, as the gateway sends them (shapes from docs/ and the services' views).</summary>
internal static class DomainScenario
{
    public const string Domain = "law";

    public static readonly string Route = """
        {"revision":7,"domains":[{"domain":"law","variants":[
          {"name":"stable","modelVersion":"1.0.0","modelId":"law@1.0.0","weightPercent":90,"destination":"inference"},
          {"name":"canary","modelVersion":"1.1.0","modelId":"law@1.1.0","weightPercent":10,"destination":"inference"}]}]}
        """;

    public static readonly string Inference = """
        {"budgetBytes":8000000000,"reservedBytes":300000000,"models":[
          {"id":"law@1.0.0","state":"ready","weightsBytes":104857600,"kvCacheBytes":52428800,"memoryBytes":157286400,
           "kvCells":{"used":300,"total":1200,"usage":0.25},"slots":{"busy":2,"total":4,"queued":0},"contextSize":1200,
           "gpuLayers":0,"layers":9,"device":"CPU","sharedWith":[]},
          {"id":"law@1.1.0","state":"ready","weightsBytes":209715200,"kvCacheBytes":104857600,"memoryBytes":314572800,
           "kvCells":{"used":0,"total":2048,"usage":0},"slots":{"busy":0,"total":4,"queued":0},"contextSize":2048,
           "gpuLayers":9,"layers":9,"device":"CUDA0","sharedWith":[]},
          {"id":"other@2.0.0","state":"ready","weightsBytes":1,"kvCacheBytes":1,"memoryBytes":2,
           "kvCells":{"used":0,"total":1,"usage":0},"slots":{"busy":0,"total":1,"queued":0},"contextSize":1,"gpuLayers":0,"layers":1,"device":"CPU","sharedWith":[]}]}
        """;

    public static readonly string Trend = """
        {"domain":"law","sla":{"domain":"law","latencyP95Ms":500,"maxErrorRate":0.05,"minAvailability":0.99,"minAccuracy":null,"windowSeconds":300,"isDefault":false},
         "from":"2026-12-01T20:00:00Z","until":"2026-12-01T21:00:00Z","resolutionSeconds":60,"versions":[
          {"modelVersion":"1.0.0","points":[{"start":"2026-12-01T20:01:00Z","score":91.5,"state":"met","requests":40},
                                            {"start":"2026-12-01T20:02:00Z","score":88,"state":"met","requests":38}]},
          {"modelVersion":"1.1.0","points":[{"start":"2026-12-01T20:01:00Z","score":null,"state":"insufficient-data","requests":1},
                                            {"start":"2026-12-01T20:02:00Z","score":42.25,"state":"violated","requests":12}]}]}
        """;

    public static readonly string Violations = """
        [{"id":"a","domain":"law","modelVersion":"1.1.0","target":"error_rate","value":0.17,"threshold":0.05,"windowSeconds":300,"requests":12,
          "reason":"error rate 17% above the SLA's 5% over 300 s (12 requests)","alertId":"b","startedAt":"2026-12-01T20:02:10Z","resolvedAt":null},
         {"id":"c","domain":"law","modelVersion":"1.0.0","target":"latency_p95_ms","value":640,"threshold":500,"windowSeconds":300,"requests":40,
          "reason":"p95 640 ms above 500 ms","alertId":"d","startedAt":"2026-12-01T19:40:00Z","resolvedAt":"2026-12-01T19:45:00Z"}]
        """;

    /// <summary>The gateway's answers by path (query left out); a path missing here is a 404 problem.</summary>
    public static Dictionary<string, (HttpStatusCode Status, string Body)> Answers() => new()
    {
        ["/api/domains/law"] = (HttpStatusCode.OK, """{"id":"law","status":"active","revision":3,"config":{"name":"Law","team":"legal"}}"""),
        ["/api/models/law/versions"] = (HttpStatusCode.OK, """[{"version":"1.1.0"}]"""),
        ["/api/deployments"] = (HttpStatusCode.OK, """[{"domain":"law","stableVersion":"1.0.0","canaryVersion":"1.1.0","canaryWeight":10}]"""),
        ["/api/deployments/route-table"] = (HttpStatusCode.OK, Route),
        ["/api/metrics"] = (HttpStatusCode.OK, "[]"),
        ["/api/rollouts"] = (HttpStatusCode.OK, "[]"),
        ["/api/inference/models"] = (HttpStatusCode.OK, Inference),
        ["/api/metrics/health/trend"] = (HttpStatusCode.OK, Trend),
        ["/api/alerts/sla-violations"] = (HttpStatusCode.OK, Violations),
    };
}

/// <summary>A gateway that answers from a table, and notes what it was asked.</summary>
internal sealed class TableGateway(Dictionary<string, (HttpStatusCode Status, string Body)> answers) : HttpMessageHandler, IHttpClientFactory
{
    public List<string> Asked { get; } = [];

    public HttpClient CreateClient(string name) => new(this, disposeHandler: false) { BaseAddress = new Uri("http://gateway") };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (Asked) Asked.Add(request.RequestUri!.PathAndQuery);
        var (status, body) = answers.TryGetValue(request.RequestUri!.AbsolutePath, out var answer)
            ? answer
            : (HttpStatusCode.NotFound, """{"title":"Not found","status":404}""");
        return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}

internal sealed class SignedInViewer : AuthenticationStateProvider
{
    public override Task<AuthenticationState> GetAuthenticationStateAsync() =>
        Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ConsoleClaims.ApiKey, "dpk_test"), new Claim(ClaimTypes.Role, "viewer")], "test"))));
}

public sealed class DomainPageTests : BunitContext
{
    private TableGateway Arrange(Dictionary<string, (HttpStatusCode, string)> answers)
    {
        var gateway = new TableGateway(answers);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IHttpClientFactory>(gateway);
        Services.AddSingleton<AuthenticationStateProvider, SignedInViewer>();
        Services.AddScoped<GatewayClient>();
        // The page's live updates: no event arrives in these tests, the page renders from its first read.
        Services.AddSingleton(new DomainPlatform.Console.Live.LiveChanges(Microsoft.Extensions.Logging.Abstractions.NullLogger<DomainPlatform.Console.Live.LiveChanges>.Instance));
        // No refresh while the test looks: the page reads once, when it opens.
        Services.AddSingleton(Options.Create(new ConsoleOptions { RefreshInterval = TimeSpan.FromHours(1) }));
        Services.AddSingleton<TimeProvider>(new ManualTime(DateTimeOffset.Parse("2026-12-01T21:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        return gateway;
    }

    [Fact]
    public void Shows_each_variants_memory_kv_cache_use_and_gpu_layers_from_inference()
    {
        var gateway = Arrange(DomainScenario.Answers());
        var page = Render<Domain>(p => p.Add(d => d.Id, DomainScenario.Domain));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=resources]")));
        var stable = page.Find("[data-testid=resources-stable]").TextContent;
        // 100 MiB of weights and 50 MiB of KV cache: 150 MiB held; 300 of 1200 cells; 2 of 4 slots; all on the CPU.
        Assert.Contains("150 MiB", stable);
        Assert.Contains("weights 100 MiB", stable);
        Assert.Contains("KV 50 MiB", stable);
        Assert.Contains("300 / 1,200 cells", stable);
        Assert.Contains("25%", stable);
        Assert.Contains("slots 2 / 4", stable);
        Assert.Contains("GPU 0/9 · CPU", System.Text.RegularExpressions.Regex.Replace(stable, @"\s+", " "));
        var canary = page.Find("[data-testid=resources-canary]").TextContent;
        Assert.Contains("1.1.0", canary);
        Assert.Contains("300 MiB", canary);
        Assert.Contains("GPU 9/9 · CUDA0", System.Text.RegularExpressions.Regex.Replace(canary, @"\s+", " "));
        // Another domain's model is not this page's business.
        Assert.DoesNotContain("other@2.0.0", page.Markup);
        Assert.Contains("/api/inference/models", gateway.Asked);
    }

    [Fact]
    public void Shows_the_health_trend_per_version_and_the_domains_sla_violations_open_or_closed()
    {
        var gateway = Arrange(DomainScenario.Answers());
        var page = Render<Domain>(p => p.Add(d => d.Id, DomainScenario.Domain));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=health-trend] svg")));
        var chart = page.Find("[data-testid=health-trend]");
        // One line per version, the slot without a score left out of the canary's.
        var lines = chart.QuerySelectorAll("polyline");
        Assert.Equal(2, lines.Length);
        Assert.Equal(2, lines[0].GetAttribute("points")!.Split(' ').Length);
        Assert.Single(lines[1].GetAttribute("points")!.Split(' '));
        // The x axis is the trend's hour, however few of its slots have scores.
        Assert.Contains("20:00", chart.TextContent);
        Assert.Contains("21:00", chart.TextContent);
        Assert.Contains("1.0.0 (stable)", chart.TextContent);
        Assert.Contains("1.1.0 (canary)", chart.TextContent);
        Assert.Contains("p95 ≤ 500 ms, errors ≤ 5%, availability ≥ 99% over 5 min", page.Find("[data-testid=sla-targets]").TextContent);
        Assert.Contains(gateway.Asked, path => path == "/api/metrics/health/trend?domain=law");
        Assert.Contains(gateway.Asked, path => path == "/api/alerts/sla-violations?domain=law&limit=20");

        var rows = page.FindAll("[data-testid=sla-violations] tbody tr, [data-testid=sla-violations] tr").Where(r => r.QuerySelector("td") is not null).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("error rate", rows[0].TextContent);
        Assert.Contains("17%", rows[0].TextContent);
        Assert.Contains("≤ 5%", rows[0].TextContent);
        Assert.Contains("12-01 20:02", rows[0].TextContent);
        Assert.Contains(rows[0].QuerySelectorAll("td"), td => td.GetAttribute("title") == "2026-12-01 20:02:10 → open");
        Assert.Contains("open", rows[0].TextContent);
        Assert.Contains("p95 latency", rows[1].TextContent);
        Assert.Contains("640 ms", rows[1].TextContent);
        Assert.Contains("≤ 500 ms", rows[1].TextContent);
        Assert.Contains("12-01 19:40", rows[1].TextContent);
        Assert.Contains("→ 12-01 19:45", rows[1].TextContent);
        Assert.DoesNotContain("open", rows[1].TextContent);
    }

    [Fact]
    public void Without_inference_or_health_the_rest_of_the_page_still_shows_and_says_what_is_missing()
    {
        var answers = DomainScenario.Answers();
        answers["/api/inference/models"] = (HttpStatusCode.BadGateway, """{"title":"Bad gateway","status":502,"detail":"inference is down"}""");
        answers.Remove("/api/metrics/health/trend");
        Arrange(answers);
        var page = Render<Domain>(p => p.Add(d => d.Id, DomainScenario.Domain));

        page.WaitForAssertion(() => Assert.Equal("1.0.0", page.Find("[data-testid=stable-version]").TextContent));
        Assert.Contains("Bad gateway (502)", page.Find("[data-testid=resources-problem]").TextContent);
        Assert.Contains("(404)", page.Find("[data-testid=health-problem]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=resources]"));
    }
}

public sealed class DomainFiguresTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement RouteOfLaw() => Parse(DomainScenario.Route).Items("domains").Single();

    [Fact]
    public void A_variant_gets_the_figures_of_its_route_model_id_and_an_unloaded_one_says_so()
    {
        var route = Parse("""{"variants":[{"name":"stable","modelVersion":"1.0.0","modelId":"law@1.0.0"},{"name":"canary","modelVersion":"2.0.0","modelId":"law@2.0.0"}]}""");
        var resources = DomainFigures.Resources(route, Parse(DomainScenario.Inference));
        Assert.Equal(2, resources.Count);
        var stable = resources[0];
        Assert.Equal(("stable", "1.0.0", true), (stable.Variant, stable.Version, stable.Loaded));
        Assert.Equal(104857600L + 52428800L, stable.MemoryBytes);
        Assert.Equal(0.25, stable.KvUsage);
        Assert.Equal((2, 4, 0, 9, "CPU"), (stable.SlotsBusy, stable.Slots, stable.GpuLayers, stable.Layers, stable.Device));
        Assert.False(resources[1].Loaded);
        Assert.Equal(0, resources[1].KvUsage);
        Assert.Empty(DomainFigures.Resources(default, Parse(DomainScenario.Inference)));
        Assert.False(Assert.Single(DomainFigures.Resources(RouteOfLaw(), default), r => r.Variant == "stable").Loaded);
    }

    [Fact]
    public void The_health_trend_draws_each_versions_scored_slots_in_the_colour_of_its_variant()
    {
        var series = DomainFigures.HealthSeries(Parse(DomainScenario.Trend), RouteOfLaw());
        Assert.Equal(["1.0.0 (stable)", "1.1.0 (canary)"], series.Select(s => s.Name));
        Assert.Equal([DomainFigures.Colour("stable", 0), DomainFigures.Colour("canary", 1)], series.Select(s => s.Color));
        var start = DateTimeOffset.Parse("2026-12-01T20:01:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds();
        Assert.Equal([(start, 91.5), (start + 60, 88)], series[0].Points);
        Assert.Equal([(start + 60.0, 42.25)], series[1].Points);
        var (from, until) = DomainFigures.TrendWindow(Parse(DomainScenario.Trend));
        Assert.Equal((start - 60.0, start + 3540.0), (from!.Value, until!.Value));
        Assert.Equal((null, null), DomainFigures.TrendWindow(default));
        // A version the route no longer serves keeps its line, named by its version alone.
        Assert.Equal(["1.0.0", "1.1.0"], DomainFigures.HealthSeries(Parse(DomainScenario.Trend), default).Select(s => s.Name));
    }

    [Theory]
    [InlineData("latency_p95_ms", 640.0, "640 ms", "≤")]
    [InlineData("error_rate", 0.17, "17%", "≤")]
    [InlineData("availability", 0.985, "98.5%", "≥")]
    [InlineData("accuracy", 0.8, "80%", "≥")]
    [InlineData("error_rate", null, "–", "≤")]
    public void Sla_figures_read_as_the_sla_states_them(string target, double? value, string figure, string bound)
    {
        Assert.Equal(figure, DomainFigures.SlaFigure(target, value));
        Assert.Equal(bound, DomainFigures.SlaBound(target));
    }

    [Fact]
    public void Sla_targets_are_named_in_words_and_an_unknown_one_by_its_api_name()
    {
        Assert.Equal(["p95 latency", "error rate", "availability", "accuracy", "new_target"],
            new[] { "latency_p95_ms", "error_rate", "availability", "accuracy", "new_target" }.Select(DomainFigures.SlaTargetName));
    }

    [Theory]
    [InlineData(512.0, "512 B")]
    [InlineData(1536.0, "1.5 KiB")]
    [InlineData(157286400.0, "150 MiB")]
    [InlineData(52428800.0, "50 MiB")]
    [InlineData(3.5 * 1024 * 1024 * 1024, "3.5 GiB")]
    [InlineData(null, "–")]
    public void Bytes_read_in_binary_units(double? bytes, string expected) => Assert.Equal(expected, Json.Bytes(bytes));
}
