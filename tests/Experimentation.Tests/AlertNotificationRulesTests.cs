using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class AlertNotificationRulesTests
{
    private static AlertRaised Alert(string level, string? domain = "law", string? version = "1.0.0", string metric = "error_rate", Guid? experiment = null, string message = "m") =>
        new(Guid.CreateVersion7(), level, domain, experiment, metric, 0.2, 0.1, message, version);

    private static AlertChannelOptions Channel(string kind = AlertChannelKinds.Webhook, string minLevel = AlertLevels.Warning, params string[] domains) =>
        new() { Name = "c", Kind = kind, Url = "https://hooks.example/x", RoutingKey = "k", MinLevel = minLevel, Domains = [.. domains] };

    [Fact]
    public void Every_alert_about_one_subject_has_one_dedup_key_whatever_its_level()
    {
        var keys = AlertLevels.All.Select(l => AlertDelivery.DedupKey(Alert(l))).Distinct();
        Assert.Equal(["domainplatform/law/1.0.0/-/error_rate"], keys);
    }

    [Fact]
    public void Another_subject_has_another_dedup_key()
    {
        var experiment = Guid.NewGuid();
        var keys = new[]
        {
            Alert("CRITICAL"), Alert("CRITICAL", domain: "tax"), Alert("CRITICAL", version: "1.1.0"), Alert("CRITICAL", metric: "latency_ms"),
            Alert("CRITICAL", version: null), Alert("CRITICAL", domain: null), Alert("CRITICAL", experiment: experiment, version: null, metric: "guardrail"),
            Alert("CRITICAL", metric: "sla:latency_p95_ms"),
        }.Select(AlertDelivery.DedupKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Contains($"domainplatform/law/-/{experiment}/guardrail", keys);
    }

    [Fact]
    public void A_dedup_key_fits_pagerdutys_255_characters_and_stays_stable()
    {
        var domain = new string('d', 300);
        var key = AlertDelivery.DedupKey(Alert("WARNING", domain: domain));
        Assert.True(key.Length <= 255, key);
        Assert.Equal(key, AlertDelivery.DedupKey(Alert("INFO", domain: domain)));
        Assert.NotEqual(key, AlertDelivery.DedupKey(Alert("INFO", domain: domain + "x")));
    }

    [Theory]
    [InlineData("EMERGENCY", "critical")]
    [InlineData("CRITICAL", "error")]
    [InlineData("WARNING", "warning")]
    [InlineData("INFO", "info")]
    public void Levels_map_to_pagerduty_severities(string level, string severity) =>
        Assert.Equal(severity, AlertDelivery.PagerDutySeverity(level));

    [Theory]
    [InlineData("INFO", "WARNING", true)]     // a recovery goes to a channel that sends recoveries
    [InlineData("WARNING", "WARNING", true)]
    [InlineData("WARNING", "CRITICAL", false)]
    [InlineData("CRITICAL", "WARNING", true)]
    [InlineData("EMERGENCY", "EMERGENCY", true)]
    [InlineData("CRITICAL", "EMERGENCY", false)]
    public void A_channel_takes_alerts_at_or_above_its_level_and_recoveries(string level, string minLevel, bool wanted) =>
        Assert.Equal(wanted, AlertDelivery.Wants(Channel(minLevel: minLevel), Alert(level)));

    [Fact]
    public void A_channel_without_recoveries_takes_info_only_from_info()
    {
        var channel = Channel(minLevel: AlertLevels.Warning);
        channel.SendRecoveries = false;
        Assert.False(AlertDelivery.Wants(channel, Alert("INFO")));
        channel.MinLevel = AlertLevels.Info;
        Assert.True(AlertDelivery.Wants(channel, Alert("INFO")));
    }

    [Fact]
    public void A_channel_routed_to_domains_takes_only_theirs()
    {
        var channel = Channel(AlertChannelKinds.Slack, AlertLevels.Warning, "law", "tax");
        Assert.True(AlertDelivery.Wants(channel, Alert("CRITICAL", domain: "tax")));
        Assert.False(AlertDelivery.Wants(channel, Alert("CRITICAL", domain: "medicine")));
        Assert.False(AlertDelivery.Wants(channel, Alert("INFO", domain: "medicine")));
        Assert.False(AlertDelivery.Wants(channel, Alert("CRITICAL", domain: null)));
        Assert.True(AlertDelivery.Wants(Channel(), Alert("CRITICAL", domain: null)));
    }

    [Fact]
    public void Backoff_doubles_from_the_initial_wait_up_to_its_cap()
    {
        var o = new AlertingOptions { InitialBackoffMilliseconds = 1000, MaxBackoffMilliseconds = 5000 };
        Assert.Equal([0, 1000, 2000, 4000, 5000, 5000], new[] { 1, 2, 3, 4, 5, 6 }.Select(a => AlertDelivery.Backoff(a, o).TotalMilliseconds));
        Assert.Equal(5000, AlertDelivery.Backoff(int.MaxValue, o).TotalMilliseconds);
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    public void Only_timeouts_throttling_and_server_errors_are_retried(int status, bool retryable) =>
        Assert.Equal(retryable, AlertDelivery.IsRetryable(status));

    [Fact]
    public void An_attempts_status_says_whether_another_follows()
    {
        var o = new AlertingOptions { MaxAttempts = 3 };
        Assert.Equal(AlertDelivery.Delivered, AlertDelivery.StatusOf(true, false, 3, o));
        Assert.Equal(AlertDelivery.Retrying, AlertDelivery.StatusOf(false, true, 2, o));
        Assert.Equal(AlertDelivery.Failed, AlertDelivery.StatusOf(false, true, 3, o));
        Assert.Equal(AlertDelivery.Failed, AlertDelivery.StatusOf(false, false, 1, o));
    }

    [Fact]
    public void A_recovery_resolves_at_pagerduty_with_the_triggers_key_and_nothing_else()
    {
        var trigger = AlertMessages.PagerDuty(Alert("WARNING"), "key");
        var resolve = AlertMessages.PagerDuty(Alert("INFO"), "key");
        Assert.Equal("trigger", trigger["event_action"]!.GetValue<string>());
        Assert.Equal("warning", trigger["payload"]!["severity"]!.GetValue<string>());
        Assert.Equal(["routing_key", "event_action", "dedup_key"], resolve.Select(p => p.Key));
        Assert.Equal("resolve", resolve["event_action"]!.GetValue<string>());
        Assert.Equal(trigger["dedup_key"]!.GetValue<string>(), resolve["dedup_key"]!.GetValue<string>());
    }

    [Fact]
    public void A_pagerduty_summary_is_cut_to_1024_characters_and_non_finite_figures_are_null()
    {
        var alert = Alert("CRITICAL", message: new string('x', 2000)) with { Value = double.NaN };
        var payload = AlertMessages.PagerDuty(alert, "key")["payload"]!;
        Assert.Equal(1024, payload["summary"]!.GetValue<string>().Length);
        Assert.Null(payload["custom_details"]!["value"]);
    }

    [Fact]
    public void Slack_text_escapes_markup_and_says_resolved_for_a_recovery()
    {
        var slack = AlertMessages.Slack(Alert("INFO", message: "<!channel> a & b"));
        var text = slack["text"]!.GetValue<string>();
        Assert.StartsWith(":white_check_mark: RESOLVED: law 1.0.0 error_rate", text);
        Assert.Contains("&lt;!channel&gt; a &amp; b", text);
        Assert.DoesNotContain("<!channel>", slack.ToJsonString());
    }

    [Fact]
    public void A_named_sender_is_an_address_and_an_alert_about_no_version_has_no_group()
    {
        var channel = new AlertChannelOptions { Name = "m", Kind = AlertChannelKinds.Email, Host = "smtp.example", From = "Alerts <alerts@example.org>", To = ["a@b.example"] };
        Assert.Null(channel.Problem());
        var payload = AlertMessages.PagerDuty(Alert("CRITICAL", version: null), "key")["payload"]!.AsObject();
        Assert.False(payload.ContainsKey("group"));
        Assert.Equal("1.0.0", AlertMessages.PagerDuty(Alert("CRITICAL"), "key")["payload"]!["group"]!.GetValue<string>());
    }

    [Fact]
    public void An_email_subject_is_one_line()
    {
        var (subject, body) = AlertMessages.Email(Alert("CRITICAL", domain: "law\r\nBcc: x@y"));
        Assert.DoesNotContain('\n', subject);
        Assert.DoesNotContain('\r', subject);
        Assert.Contains("Level:         CRITICAL", body);
    }

    public static TheoryData<string, Action<AlertChannelOptions>> BadChannels => new()
    {
        { "Kind", c => c.Kind = "sms" },
        { "MinLevel", c => c.MinLevel = "LOUD" },
        { "names", c => c.Name = " " },
        { "Domains", c => c.Domains = [""] },
        { "Url", c => c.Url = "ftp://x" },
        { "Url", c => c.Url = null },
        { "RoutingKey", c => (c.Kind, c.RoutingKey) = (AlertChannelKinds.PagerDuty, null) },
        { "Url", c => (c.Kind, c.Url) = (AlertChannelKinds.PagerDuty, "not a url") },
        { "Host", c => (c.Kind, c.Host) = (AlertChannelKinds.Email, null) },
        { "Port", c => (c.Kind, c.Port) = (AlertChannelKinds.Email, 70000) },
        { "Security", c => (c.Kind, c.Security) = (AlertChannelKinds.Email, "ssl3") },
        { "From", c => (c.Kind, c.From) = (AlertChannelKinds.Email, "nobody") },
        { "To", c => (c.Kind, c.To) = (AlertChannelKinds.Email, []) },
        { "To", c => (c.Kind, c.To) = (AlertChannelKinds.Email, ["a b@c"]) },
        { "To", c => (c.Kind, c.To) = (AlertChannelKinds.Email, ["team.example"]) },
        { "From", c => (c.Kind, c.From) = (AlertChannelKinds.Email, "a@b\r\nBcc: c@d") },
        { "Password", c => (c.Kind, c.Username, c.Password) = (AlertChannelKinds.Email, "u", null) },
    };

    [Theory]
    [MemberData(nameof(BadChannels))]
    public void A_channel_that_could_never_deliver_is_named_with_its_field(string field, Action<AlertChannelOptions> spoil)
    {
        var channel = new AlertChannelOptions
        {
            Name = "ops", Kind = AlertChannelKinds.Webhook, Url = "https://hooks.example/x", Host = "smtp.example", From = "a@b.c", To = ["d@e.f"],
        };
        Assert.Null(new AlertingOptions { Channels = [channel] }.Problem());
        spoil(channel);
        var problem = new AlertingOptions { Channels = [channel] }.Problem();
        Assert.NotNull(problem);
        Assert.Contains(field, problem);
    }

    [Theory]
    [InlineData("MaxAttempts", 0, 1000, 30000, 10)]
    [InlineData("MaxAttempts", 21, 1000, 30000, 10)]
    [InlineData("InitialBackoffMilliseconds", 5, 0, 30000, 10)]
    [InlineData("MaxBackoffMilliseconds", 5, 1000, 999, 10)]
    [InlineData("MaxBackoffMilliseconds", 5, 1000, 600001, 10)]
    [InlineData("TimeoutSeconds", 5, 1000, 30000, 0)]
    public void Retry_settings_out_of_range_are_named(string field, int attempts, int initial, int max, int timeout)
    {
        var o = new AlertingOptions { MaxAttempts = attempts, InitialBackoffMilliseconds = initial, MaxBackoffMilliseconds = max, TimeoutSeconds = timeout };
        Assert.Contains(field, o.Problem());
    }

    [Fact]
    public void Channel_names_are_unique_and_leave_webhook_prefix_to_the_api()
    {
        AlertChannelOptions Hook(string name) => new() { Name = name, Kind = AlertChannelKinds.Webhook, Url = "https://x.example/" };
        Assert.Contains("twice", new AlertingOptions { Channels = [Hook("a"), Hook("a")] }.Problem());
        Assert.Contains("webhook:", new AlertingOptions { Channels = [Hook("webhook:1")] }.Problem());
        Assert.Null(new AlertingOptions().Problem());
    }
}
