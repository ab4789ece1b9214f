using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// The service with every kind of channel pointed at local receivers (HTTP and SMTP), retries 20-100 ms apart, and a
/// monitor that looks every second.
/// </summary>
public sealed class AlertChannelsFactory() : ServiceFactory<Program>("experimentationdb")
{
    public const string RoutingKey = "R0UT1NG-KEY-0123456789abcdef";

    public ChannelReceivers Receivers { get; private set; } = null!;
    public SmtpTestServer Smtp { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        Receivers = await ChannelReceivers.StartAsync();
        Smtp = SmtpTestServer.Start();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Monitoring:IntervalSeconds", "1"), new("Monitoring:MinimumSamples", "20"),
        new("Alerting:MaxAttempts", "3"), new("Alerting:InitialBackoffMilliseconds", "20"), new("Alerting:MaxBackoffMilliseconds", "100"),
        .. Channel(0, "ops-slack", "slack", ("Url", $"{Receivers.Url}/slack")),
        .. Channel(1, "ops-pagerduty", "pagerduty", ("Url", $"{Receivers.Url}/pagerduty"), ("RoutingKey", RoutingKey)),
        .. Channel(2, "ops-mail", "email", ("Host", "127.0.0.1"), ("Port", Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Security", "none"), ("From", "alerts@platform.test"), ("To:0", "oncall@team.test"), ("To:1", "lead@team.test")),
        .. Channel(3, "ops-hook", "webhook", ("Url", $"{Receivers.Url}/hook")),
        .. Channel(4, "flaky", "webhook", ("Url", $"{Receivers.Url}/flaky")),
        .. Channel(5, "broken", "webhook", ("Url", $"{Receivers.Url}/broken")),
        .. Channel(6, "refusing", "webhook", ("Url", $"{Receivers.Url}/refuse")),
        // Never wanted by the tests' alerts: they are about other domains.
        .. Channel(7, "law-team", "webhook", ("Url", $"{Receivers.Url}/law"), ("Domains:0", "law")),
    ];

    private static IEnumerable<KeyValuePair<string, string>> Channel(int index, string name, string kind, params (string Key, string Value)[] fields) =>
        [new($"Alerting:Channels:{index}:Name", name), new($"Alerting:Channels:{index}:Kind", kind),
            .. fields.Select(f => new KeyValuePair<string, string>($"Alerting:Channels:{index}:{f.Key}", f.Value))];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Receivers.DisposeAsync();
        Smtp.Dispose();
    }
}

public sealed class AlertChannelsTests(AlertChannelsFactory factory) : IClassFixture<AlertChannelsFactory>
{
    private static string Str(JsonElement e, string property) => e.GetProperty(property).GetString()!;

    private static async Task<JsonElement[]> DeliveriesAsync(HttpClient client, string query, CancellationToken ct) =>
        await client.GetFromJsonAsync<JsonElement[]>($"/api/alerts/deliveries?{query}", ct) ?? [];

    [Fact]
    public async Task An_alert_reaches_slack_pagerduty_email_and_webhook_in_their_shapes()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var alert = new AlertRaised(Guid.CreateVersion7(), "EMERGENCY", domain, null, "error_rate", 0.4, 0.25,
            $"{domain} 2.0.0: error rate 40.0% above the emergency threshold 25% <&>", "2.0.0");
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        await broker.PublishAsync(alert);

        // Every channel's attempts are in the log once it is done: 4 deliveries, flaky 2 + 1, broken 3, refusing 1.
        var log = await Eventually.GetAsync(() => DeliveriesAsync(client, $"alertId={alert.AlertId}", ct),
            rows => rows.Length >= 11 && rows.Count(r => Str(r, "status") != "retrying") == 7, "every channel's last attempt");

        var slack = Assert.Single(factory.Receivers.At("slack"), m => Str(m, "text").Contains(domain));
        // Slack's mrkdwn: the alert's own < & > are escaped, not read as links or mentions.
        Assert.Contains("EMERGENCY", Str(slack, "text"));
        Assert.Contains("&lt;&amp;&gt;", Str(slack, "text"));
        var blocks = slack.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["header", "section", "context"], blocks.Select(b => Str(b, "type")));
        Assert.Equal("plain_text", Str(blocks[0].GetProperty("text"), "type"));
        Assert.Equal("mrkdwn", Str(blocks[1].GetProperty("text"), "type"));
        Assert.Contains(blocks[1].GetProperty("fields").EnumerateArray(), f => Str(f, "text") == $"*Domain*\n{domain}");
        Assert.Contains(alert.AlertId.ToString(), Str(blocks[2].GetProperty("elements")[0], "text"));

        var page = Assert.Single(factory.Receivers.At("pagerduty"), m => m.TryGetProperty("payload", out var p) && Str(p, "component") == domain);
        Assert.Equal((AlertChannelsFactory.RoutingKey, "trigger", $"domainplatform/{domain}/2.0.0/-/error_rate"),
            (Str(page, "routing_key"), Str(page, "event_action"), Str(page, "dedup_key")));
        var payload = page.GetProperty("payload");
        Assert.Equal(("critical", "error_rate", "2.0.0", "domainplatform-experimentation"),
            (Str(payload, "severity"), Str(payload, "class"), Str(payload, "group"), Str(payload, "source")));
        Assert.Equal(alert.Message, Str(payload, "summary"));
        Assert.True(DateTimeOffset.TryParse(Str(payload, "timestamp"), out _));
        Assert.Equal(0.4, payload.GetProperty("custom_details").GetProperty("value").GetDouble());

        var hook = Assert.Single(factory.Receivers.At("hook"), m => Str(m, "alertId") == alert.AlertId.ToString());
        Assert.Equal(("EMERGENCY", domain, "2.0.0", alert.EventId.ToString()),
            (Str(hook, "level"), Str(hook, "domain"), Str(hook, "modelVersion"), Str(hook, "eventId")));

        var mail = Assert.Single(factory.Smtp.Messages, m => m.Message.Headers["X-DomainPlatform-Alert-Id"] == alert.AlertId.ToString());
        Assert.Equal("alerts@platform.test", mail.From);
        Assert.Equal(["oncall@team.test", "lead@team.test"], mail.To);
        Assert.Equal($"[DomainPlatform] EMERGENCY: {domain} 2.0.0 error_rate", mail.Message.Subject);
        Assert.Contains(alert.Message, mail.Message.TextBody);
        Assert.Contains("Threshold:     0.25", mail.Message.TextBody);

        foreach (var channel in new[] { "ops-slack", "ops-pagerduty", "ops-mail", "ops-hook" })
        {
            var row = Assert.Single(log, r => Str(r, "channel") == channel);
            Assert.Equal(("delivered", 1, "trigger"), (Str(row, "status"), row.GetProperty("attempt").GetInt32(), Str(row, "action")));
        }
        Assert.DoesNotContain(log, r => Str(r, "channel") == "law-team");
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_and_its_failures_are_in_the_delivery_log()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var alert = new AlertRaised(Guid.CreateVersion7(), "WARNING", ExperimentsApiTests.NewDomain(), null, "latency_ms", 1600, 1500, "slow", "1.0.0");
        // The SMTP server is busy for the first attempt: 451, then the mail goes through.
        factory.Smtp.RefuseOnce(alert.AlertId);
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        await broker.PublishAsync(alert);

        var log = await Eventually.GetAsync(() => DeliveriesAsync(client, $"alertId={alert.AlertId}", ct),
            rows => rows.Count(r => Str(r, "status") != "retrying") == 7, "every channel's last attempt");
        List<(int, string)> Attempts(string channel) =>
            [.. log.Where(r => Str(r, "channel") == channel).OrderBy(r => r.GetProperty("attempt").GetInt32()).Select(r => (r.GetProperty("attempt").GetInt32(), Str(r, "status")))];

        // Two 503s, then taken on the third attempt.
        Assert.Equal([(1, "retrying"), (2, "retrying"), (3, "delivered")], Attempts("flaky"));
        Assert.All(log.Where(r => Str(r, "channel") == "flaky" && Str(r, "status") == "retrying"), r => Assert.StartsWith("HTTP 503", Str(r, "error")));
        // Always 500: every attempt (Alerting:MaxAttempts = 3) fails, the last is final.
        Assert.Equal([(1, "retrying"), (2, "retrying"), (3, "failed")], Attempts("broken"));
        Assert.Contains("down for maintenance", Str(log.Single(r => Str(r, "channel") == "broken" && Str(r, "status") == "failed"), "error"));
        // A 400 would repeat: no second attempt.
        Assert.Equal([(1, "failed")], Attempts("refusing"));
        Assert.StartsWith("HTTP 400", Str(log.Single(r => Str(r, "channel") == "refusing"), "error"));
        Assert.Equal([(1, "retrying"), (2, "delivered")], Attempts("ops-mail"));
        Assert.StartsWith("SMTP 451", Str(log.Single(r => Str(r, "channel") == "ops-mail" && r.GetProperty("attempt").GetInt32() == 1), "error"));
        Assert.Single(factory.Smtp.Messages, m => m.Message.Headers["X-DomainPlatform-Alert-Id"] == alert.AlertId.ToString());

        var failed = await DeliveriesAsync(client, "channel=broken&status=failed", ct);
        Assert.Contains(failed, r => Str(r, "alertId") == alert.AlertId.ToString());
        Assert.All(failed, r => Assert.Equal(("broken", "failed"), (Str(r, "channel"), Str(r, "status"))));
    }

    [Fact]
    public async Task A_recovery_seen_by_the_monitor_resolves_the_pagerduty_incident_its_alert_triggered()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        try
        {
            // Paused while the outcomes arrive, so the monitor judges all of them: 6 errors in 40 (15%), critical.
            Assert.True((await client.PostAsync("/api/alerts/monitoring/stop", null, ct)).IsSuccessStatusCode);
            for (var i = 0; i < 40; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "stable", "1.0.0", 100, ok: i % 20 >= 3));
            await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.0.0", "error_rate", 40, ct);
            Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, ct)).IsSuccessStatusCode);
            var triggers = await Eventually.GetAsync(() => Task.FromResult(PagesAbout(domain)), p => p.Count > 0, "the monitor's trigger at PagerDuty");
            Assert.Equal("trigger", Str(triggers[0], "event_action"));

            // 200 good outcomes more: 6 in 240 (2.5%) is back to normal.
            Assert.True((await client.PostAsync("/api/alerts/monitoring/stop", null, ct)).IsSuccessStatusCode);
            for (var i = 0; i < 200; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "stable", "1.0.0", 100));
            await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.0.0", "error_rate", 240, ct);
            Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, ct)).IsSuccessStatusCode);
        }
        finally
        {
            await client.PostAsync("/api/alerts/monitoring/start", null, ct);
        }

        var dedupKey = $"domainplatform/{domain}/1.0.0/-/error_rate";
        var resolve = await Eventually.GetAsync(() => Task.FromResult(factory.Receivers.At("pagerduty").Where(m => Str(m, "dedup_key") == dedupKey && Str(m, "event_action") == "resolve").ToList()),
            r => r.Count > 0, "the resolve at PagerDuty");
        Assert.Equal(AlertChannelsFactory.RoutingKey, Str(resolve[0], "routing_key"));
        // Every page about the subject, its trigger and its resolve, carries one dedup key: PagerDuty closes the incident.
        Assert.All(PagesAbout(domain), p => Assert.Equal(dedupKey, Str(p, "dedup_key")));
        // The recovery reaches Slack too, as back to normal.
        var recovered = await Eventually.GetAsync(() => Task.FromResult(factory.Receivers.At("slack").Where(m => Str(m, "text").Contains($"RESOLVED: {domain} 1.0.0 error_rate")).ToList()),
            r => r.Count > 0, "the recovery at Slack");
        Assert.Contains("back to normal", Str(recovered[0], "text"));
    }

    private List<JsonElement> PagesAbout(string domain) =>
        [.. factory.Receivers.At("pagerduty").Where(m => Str(m, "dedup_key").StartsWith($"domainplatform/{domain}/", StringComparison.Ordinal))];

    [Fact]
    public async Task Channels_are_listed_without_their_secrets()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var text = await client.GetStringAsync("/api/alerts/channels", ct);
        Assert.DoesNotContain(AlertChannelsFactory.RoutingKey, text);
        Assert.DoesNotContain("/slack", text);
        var channels = JsonSerializer.Deserialize<JsonElement[]>(text)!;
        var pagerDuty = Assert.Single(channels, c => Str(c, "name") == "ops-pagerduty");
        Assert.Equal(("pagerduty", "WARNING", factory.Receivers.Url), (Str(pagerDuty, "kind"), Str(pagerDuty, "minLevel"), Str(pagerDuty, "destination")));
        Assert.Equal(["law"], channels.Single(c => Str(c, "name") == "law-team").GetProperty("domains").EnumerateArray().Select(d => d.GetString()));
    }

    [Theory]
    [InlineData("Alerting:Channels:1:RoutingKey", "", "Alerting channel 'ops-pagerduty': RoutingKey")]
    [InlineData("Alerting:Channels:2:To:0", "nobody", "Alerting channel 'ops-mail': To")]
    [InlineData("Alerting:Channels:0:Kind", "teams", "Alerting channel 'ops-slack': Kind")]
    [InlineData("Alerting:MaxAttempts", "0", "Alerting:MaxAttempts")]
    public void The_service_does_not_start_with_a_channel_that_could_never_deliver(string key, string value, string message)
    {
        using var spoiled = factory.WithWebHostBuilder(b => b.UseSetting(key, value));

        var error = Assert.ThrowsAny<Exception>(() => spoiled.CreateClient());

        // However deep the host wraps it (start-up failures come as themselves, inner exceptions or aggregates of them).
        static IEnumerable<Exception> Tree(Exception e) =>
            [e, .. (e is AggregateException a ? a.InnerExceptions : e.InnerException is { } inner ? [inner] : []).SelectMany(Tree)];
        var validation = Tree(error).OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(message, validation.Message);
    }

    [Theory]
    [InlineData("status=lost", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("alertId=nope", "alertId")]
    public async Task Bad_delivery_queries_are_refused(string query, string field)
    {
        var response = await factory.CreateClient().GetAsync($"/api/alerts/deliveries?{query}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
