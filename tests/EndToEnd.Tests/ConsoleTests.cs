using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// The operators' console (services/Console) in Debian's headless chromium, served by the gateway at /console on the
/// running suite: each page with real data made through the gateway's API, a live update without a reload, an
/// operator's action and a viewer who cannot take it. A screenshot of each page goes to .platform/screenshots/.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ConsoleTests(PlatformFixture platform, ConsoleBrowser browser, CandidateModel candidate)
    : IClassFixture<ConsoleBrowser>, IClassFixture<CandidateModel>
{
    private const string Baseline = "1.0.0";
    private const string Candidate = "1.1.0";
    // Far longer than any test: a rollout moves only when someone promotes it.
    private const double StepSeconds = 3600;

    private static readonly SemaphoreSlim ScenarioLock = new(1, 1);
    private static Scenario? scenario;

    private static string ScreenshotDirectory => Path.Combine(TestInfrastructure.RepositoryRoot, ".platform", "screenshots");

    private string Console(string path = "") => new Uri(platform.Gateway, "console/" + path).ToString();

    [Fact]
    public async Task Every_page_shows_the_suites_data_at_1280_px_and_on_a_phone()
    {
        var s = await ScenarioAsync();
        var page = await browser.SignedInAsync(Console(), platform.AdminKey!, Viewport.Desktop);

        // Overview: the domain with its stable and canary versions, the rollout on it, and the stable version's health.
        await Expect(page.GetByTestId("domains")).ToContainTextAsync(s.RolloutDomain);
        var row = page.GetByTestId("domains").Locator("tr", new() { HasText = s.RolloutDomain });
        await Expect(row).ToContainTextAsync(Baseline);
        await Expect(row).ToContainTextAsync($"{Candidate} at 1%");
        // The scenario's chats reach experimentation's counts asynchronously: the live page shows them once counted.
        await Expect(page.GetByTestId($"health-{s.RolloutDomain}")).ToContainTextAsync(
            new System.Text.RegularExpressions.Regex(@"\d+(\.\d)?\s*(met|violated|insufficient-data)"), new() { Timeout = 60_000 });
        await ShotAsync(page, "overview");

        await page.GotoAsync(Console($"domains/{Uri.EscapeDataString(s.RolloutDomain)}"));
        await Expect(page.GetByTestId("versions")).ToContainTextAsync(Candidate);
        await Expect(page.GetByTestId("stable-version")).ToHaveTextAsync(Baseline);
        await Expect(page.GetByTestId("route")).ToContainTextAsync("canary");
        await Expect(page.GetByTestId("metrics")).ToContainTextAsync("latency");
        // What each variant holds on inference, and the health trend of the traffic sent above.
        await Expect(page.GetByTestId("resources-stable")).ToContainTextAsync("cells");
        await Expect(page.GetByTestId("resources-canary")).ToContainTextAsync("weights");
        await Expect(page.GetByTestId("health-trend").Locator("svg")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("sla-violations")).ToBeVisibleAsync();
        await ShotAsync(page, "domain");

        await page.GotoAsync(Console($"rollouts/{s.RolloutId}"));
        await Expect(page.GetByTestId("rollout-status")).ToHaveTextAsync("running");
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("0% → 1%");
        await Expect(page.GetByTestId("weights-chart").Locator("svg")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("promote")).ToBeVisibleAsync();
        await ShotAsync(page, "rollouts");

        await page.GotoAsync(Console($"experiments/{s.ExperimentId}"));
        await Expect(page.GetByTestId("experiment-status")).ToHaveTextAsync("running");
        await Expect(page.GetByTestId("variants")).ToContainTextAsync("control");
        await Expect(page.GetByTestId("variants")).ToContainTextAsync("treatment");
        await Expect(page.GetByTestId("decision")).ToContainTextAsync("Decision:");
        await Expect(page.GetByTestId("srm")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("conclude")).ToBeVisibleAsync();
        // Each arm's posterior of its latency, drawn once both arms have two latencies (the live page fills it in).
        await Expect(page.GetByTestId("posteriors-chart").Locator("svg")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await ShotAsync(page, "experiments");

        // The dataset's job appears when training has it and runs to its end on the open page (no reload), its
        // losses drawn as they come.
        await page.GotoAsync(Console("training"));
        await Expect(page.GetByTestId("jobs")).ToContainTextAsync(s.DataDomain, new() { Timeout = 120_000 });
        await Expect(page.GetByTestId("job-state")).ToHaveTextAsync("succeeded", new() { Timeout = 300_000 });
        await Expect(page.GetByTestId("job-progress-text")).ToContainTextAsync("100%");
        await Expect(page.GetByTestId("loss-chart").Locator("svg polyline").First).ToBeVisibleAsync();
        await ShotAsync(page, "training");

        await page.GotoAsync(Console("extraction"));
        await Expect(page.GetByTestId("datasets")).ToContainTextAsync(s.DatasetName);
        await Expect(page.GetByTestId("sources")).ToContainTextAsync(s.SourceName);
        await Expect(page.GetByTestId("budgets")).ToContainTextAsync(s.DataDomain);
        await ShotAsync(page, "extraction");

        await page.GotoAsync(Console("alerts"));
        await Expect(page.GetByTestId("audit")).ToContainTextAsync(GatewayApi.AdminActor);
        await Expect(page.GetByTestId("alerts")).ToBeVisibleAsync();
        await ShotAsync(page, "alerts-audit");

        // Reports: an operator generates one for the rollout's domain; the live list shows it completed, and its HTML
        // download (through the console, with the signed-in key) holds the domain's versions.
        await page.GotoAsync(Console("reports"));
        // MudBlazor puts the test id on the input itself or on its wrapper, depending on the component.
        await page.Locator("input[data-testid=report-domain], [data-testid=report-domain] input").First.FillAsync(s.RolloutDomain);
        await page.GetByTestId("create-report").ClickAsync();
        var reportRow = page.GetByTestId("reports").Locator("tr", new() { HasText = s.RolloutDomain }).First;
        await Expect(reportRow).ToContainTextAsync("completed", new() { Timeout = 120_000 });
        await ShotAsync(page, "reports");
        var html = await page.Context.APIRequest.GetAsync(new Uri(new Uri(Console("reports")), await reportRow.GetByTestId("report-html").GetAttributeAsync("href")).ToString());
        Assert.Equal(200, html.Status);
        var document = await html.TextAsync();
        Assert.Contains(s.RolloutDomain, document);
        Assert.Contains(Baseline, document);

        var phone = await browser.SignedInAsync(Console(), platform.AdminKey!, Viewport.Phone);
        await Expect(phone.GetByTestId("domains")).ToContainTextAsync(s.RolloutDomain);
        await ShotAsync(phone, "overview-phone");
        await phone.GotoAsync(Console($"rollouts/{s.RolloutId}"));
        await Expect(phone.GetByTestId("rollout-status")).ToHaveTextAsync("running");
        await ShotAsync(phone, "rollouts-phone");
        // Nothing wider than the phone's screen but the tables, which scroll inside their own box.
        var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the rollout page is {overflow} px wider than a phone's screen");
    }

    [Fact]
    public async Task A_rollout_moved_through_the_api_moves_on_the_open_page_without_a_reload()
    {
        await ScenarioAsync();
        var (_, rollout) = await RolloutAsync("ConsoleLive");
        var page = await browser.SignedInAsync(Console($"rollouts/{rollout}"), platform.AdminKey!, Viewport.Desktop);
        await Expect(page.GetByTestId("rollout-weight")).ToHaveTextAsync("1%");
        // A mark in the page's own memory: a reload would wipe it.
        await page.EvaluateAsync("() => window.__consoleMark = 'kept'");

        using var client = platform.CreateClient();
        await new GatewayApi(client).CommandAsync(rollout, "promote", "e2e: moved behind the page's back");

        await Expect(page.GetByTestId("rollout-weight")).ToHaveTextAsync("10%");
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("e2e: moved behind the page's back");
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__consoleMark"));
        await ShotAsync(page, "rollouts-live");
    }

    [Fact]
    public async Task An_operator_promotes_from_the_page_and_a_viewer_is_offered_no_action_and_refused_by_the_gateway()
    {
        await ScenarioAsync();
        var s = scenario!;
        var (_, rollout) = await RolloutAsync("ConsoleOperator");
        var operatorKey = await KeyAsync("console-operator", "operator");
        var viewerKey = await KeyAsync("console-viewer", "viewer");

        var page = await browser.SignedInAsync(Console($"rollouts/{rollout}"), operatorKey, Viewport.Desktop);
        await Expect(page.GetByTestId("role")).ToHaveTextAsync("operator");
        await Expect(page.GetByTestId("rollout-weight")).ToHaveTextAsync("1%");
        await page.GetByTestId("rollout-actions").Locator("input").First.FillAsync("e2e: promoted from the console");
        await page.GetByTestId("promote").ClickAsync();
        await Expect(page.GetByTestId("action-done")).ToContainTextAsync("promote");
        await Expect(page.GetByTestId("rollout-weight")).ToHaveTextAsync("10%");
        await ShotAsync(page, "rollouts-operator");

        using var admin = platform.CreateClient();
        var api = new GatewayApi(admin);
        var after = await api.RolloutAsync(rollout);
        Assert.Equal(10, after.GetProperty("weightPercent").GetDouble());
        var promote = after.GetProperty("decisions").EnumerateArray().Last();
        // A promotion is recorded as the step it took, with the operator's key as the actor.
        Assert.Equal(("advance", "key:console-operator (operator)"), (promote.GetProperty("action").GetString(), promote.GetProperty("actor").GetString()));
        Assert.Contains("e2e: promoted from the console", promote.GetProperty("reason").GetString());

        // The viewer sees the rollout and the experiment but is offered none of their actions...
        var viewer = await browser.SignedInAsync(Console($"rollouts/{rollout}"), viewerKey, Viewport.Desktop);
        await Expect(viewer.GetByTestId("role")).ToHaveTextAsync("viewer");
        await Expect(viewer.GetByTestId("rollout-weight")).ToHaveTextAsync("10%");
        await Expect(viewer.GetByTestId("operator-only")).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("promote")).ToHaveCountAsync(0);
        await Expect(viewer.GetByTestId("abort")).ToHaveCountAsync(0);
        await ShotAsync(viewer, "rollouts-viewer");
        await viewer.GotoAsync(Console($"experiments/{s.ExperimentId}"));
        await Expect(viewer.GetByTestId("variants")).ToContainTextAsync("treatment");
        await Expect(viewer.GetByTestId("operator-only")).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("conclude")).ToHaveCountAsync(0);
        await viewer.GotoAsync(Console("reports"));
        await Expect(viewer.GetByTestId("reports")).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("create-report")).ToHaveCountAsync(0);

        // ...and the gateway refuses the viewer's key the action anyway.
        using var asViewer = new HttpClient { BaseAddress = platform.Gateway };
        asViewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", viewerKey);
        using var refused = await asViewer.PostAsJsonAsync($"/api/rollouts/{rollout}/promote", new { reason = "viewer" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(10, (await api.RolloutAsync(rollout)).GetProperty("weightPercent").GetDouble());
    }

    [Fact]
    public async Task Signing_in_refuses_an_unknown_key_and_a_client_key_and_every_page_needs_a_sign_in()
    {
        var page = await browser.NewPageAsync(Viewport.Desktop);
        await page.GotoAsync(Console("rollouts"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/signin"));

        await page.GetByTestId("api-key").FillAsync("dpk_not-a-key-of-this-gateway");
        await page.GetByTestId("sign-in").ClickAsync();
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("does not accept this key");
        await ShotAsync(page, "signin-refused");

        await page.GetByTestId("api-key").FillAsync(await KeyAsync("console-client", "client"));
        await page.GetByTestId("sign-in").ClickAsync();
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("the console needs viewer, operator or admin");
    }

    /// <summary>What the page tests look at: a rollout, an experiment, and extraction's data with its training job.</summary>
    private sealed record Scenario(string RolloutDomain, string RolloutId, string ExperimentId, string DataDomain, string SourceName, string DatasetName);

    private async Task<Scenario> ScenarioAsync()
    {
        await ScenarioLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return scenario ??= await CreateScenarioAsync();
        }
        finally
        {
            ScenarioLock.Release();
        }
    }

    private async Task<Scenario> CreateScenarioAsync()
    {
        using var client = platform.CreateClient();
        var api = new GatewayApi(client);

        var (rolloutDomain, rolloutId) = await RolloutAsync("ConsoleAgent");
        // Traffic for the domain's metrics (both versions: the users the split sends to the canary too).
        var (canary, stable) = GatewayApi.UsersFor(await api.RouteAsync(rolloutDomain), 3);
        foreach (var user in canary.Concat(stable)) Assert.Equal(200, (await api.ChatAsync(rolloutDomain, user)).Status);

        // A running experiment of two arms on a domain of its own, with a few users on it.
        var experimentDomain = await ServingAsync("ConsoleExperiment");
        var created = await PostAsync(client, "/api/experiments", new
        {
            name = "console arms", domain = experimentDomain,
            variants = new[] { new { name = "control", modelVersion = Baseline, weight = 50 }, new { name = "treatment", modelVersion = Candidate, weight = 50 } },
            primaryMetric = "latency_ms", minimumDetectableEffect = 0.5, alpha = 0.05, power = 0.8, minSamples = 5,
            minDurationSeconds = 0, analysisMethod = "frequentist", correction = "holm", deployWinner = false, stopOnGuardrail = false,
        });
        var experimentId = created.GetProperty("id").GetString()!;
        await PostAsync(client, $"/api/experiments/{experimentId}/start", null);
        await Eventually.GetAsync(() => api.ChatAsync(experimentDomain, "probe"), r => r.Status == 200 && r.Variant is "control" or "treatment",
            "the experiment's split in the gateway", TimeSpan.FromSeconds(120));
        // Enough users that each arm has the experiment's minimum samples, so the page shows a first comparison.
        for (var i = 0; i < 16; i++) await api.ChatAsync(experimentDomain, $"user-{i}");

        // A source and a dataset: extraction builds it, and training queues a job on it by itself.
        var dataDomain = GatewayApi.NewDomainId("ConsoleData");
        var sourceName = $"orders-{dataDomain}";
        await PostAsync(client, "/api/sources", new
        {
            name = sourceName, kind = "document", domain = dataDomain,
            // Long enough for two training windows of the demo model (256 tokens each, its tokens about a character).
            text = string.Join(" ", Enumerable.Range(1, 8).Select(i =>
                $"Query {i}: SELECT customer_id, SUM(total) AS revenue FROM orders WHERE region = 'north-{i}' GROUP BY customer_id " +
                $"ORDER BY revenue DESC LIMIT {i * 10}; mail ops{i}@example.com when the orders table changes.")),
        });
        var datasetName = $"set-{dataDomain}";
        await PostAsync(client, "/api/datasets", new { domain = dataDomain, name = datasetName });
        return new Scenario(rolloutDomain, rolloutId, experimentId, dataDomain, sourceName, datasetName);
    }

    /// <summary>A domain serving 1.0.0 with 1.1.0 registered beside it.</summary>
    private async Task<string> ServingAsync(string agent)
    {
        using var client = platform.CreateClient();
        var api = new GatewayApi(client);
        var domain = GatewayApi.NewDomainId(agent);
        await api.CreateDomainAsync(domain, 3);
        await api.RegisterAsync(domain, Baseline, GatewayApi.DemoModelPath);
        await api.RegisterAsync(domain, Candidate, candidate.Path);
        await api.DeployStableAsync(domain, Baseline);
        await Eventually.GetAsync(() => api.ChatAsync(domain, "probe"), r => r.Status == 200, $"{domain} served", TimeSpan.FromSeconds(120));
        return domain;
    }

    /// <summary>A running rollout of 1.1.0 at its first step (1%) that only a promotion moves.</summary>
    private async Task<(string Domain, string Rollout)> RolloutAsync(string agent)
    {
        var domain = await ServingAsync(agent);
        using var client = platform.CreateClient();
        var started = await new GatewayApi(client).StartRolloutAsync(domain, Candidate, StepSeconds, 3);
        return (domain, started.GetProperty("id").GetString()!);
    }

    private async Task<string> KeyAsync(string name, string role)
    {
        using var client = platform.CreateClient();
        return (await PostAsync(client, "/api/keys", new { name, role })).GetProperty("key").GetString()!;
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object? body)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = body is null ? await client.PostAsync(path, null, ct) : await client.PostAsJsonAsync(path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, $"console-{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {path}");
    }
}

public enum Viewport { Desktop, Phone }

/// <summary>
/// Debian's chromium, headless, driven by Playwright's .NET driver (from NuGet, no browser download);
/// scripts/install-chromium.sh installs the browser where it is missing.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? playwright;
    private IBrowser? browser;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            var install = Process.Start(new ProcessStartInfo(Path.Combine(TestInfrastructure.RepositoryRoot, "scripts", "install-chromium.sh"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = await install.StandardError.ReadToEndAsync();
            await install.WaitForExitAsync();
            if (install.ExitCode != 0) throw new InvalidOperationException($"scripts/install-chromium.sh failed ({install.ExitCode}): {output}");
        }
        SetDefaultExpectTimeout(30_000);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Root in a container: no sandbox; /dev/shm may be small.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task<IPage> NewPageAsync(Viewport viewport)
    {
        var context = await browser!.NewContextAsync(viewport == Viewport.Phone
            ? new() { ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2 }
            : new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>A new browser (own cookies) signed in with the key, on <paramref name="url"/>.</summary>
    public async Task<IPage> SignedInAsync(string url, string key, Viewport viewport)
    {
        var page = await NewPageAsync(viewport);
        await page.GotoAsync(url);
        await page.GetByTestId("api-key").FillAsync(key);
        await page.GetByTestId("sign-in").ClickAsync();
        await Expect(page.GetByTestId("signed-in")).ToBeVisibleAsync();
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
    }
}
