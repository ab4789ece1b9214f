using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Experimentation.Domain;

public static class AlertChannelKinds
{
    public const string Slack = "slack";
    public const string PagerDuty = "pagerduty";
    public const string Email = "email";
    public const string Webhook = "webhook";
    public static readonly IReadOnlyList<string> All = [Slack, PagerDuty, Email, Webhook];
}

public static class SmtpSecurity
{
    /// <summary>TLS when the server offers STARTTLS (or on port 465), plain otherwise: MailKit's Auto.</summary>
    public const string Auto = "auto";
    public const string None = "none";
    public const string StartTls = "starttls";
    public const string Tls = "tls";
    public static readonly IReadOnlyList<string> All = [Auto, None, StartTls, Tls];
}

/// <summary>One notification channel from settings (Alerting:Channels:N); which fields apply depends on its kind.</summary>
public sealed class AlertChannelOptions
{
    public const string PagerDutyEventsUrl = "https://events.pagerduty.com/v2/enqueue";

    /// <summary>The channel's name in the delivery log (unique, 1-100 characters).</summary>
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    /// <summary>Slack: the incoming webhook's URL; webhook: where the AlertRaised JSON is POSTed; PagerDuty: the Events API (default PagerDuty's).</summary>
    public string? Url { get; set; }
    /// <summary>PagerDuty: the integration key of the service (Events API v2).</summary>
    public string? RoutingKey { get; set; }
    /// <summary>The lowest level the channel takes (default WARNING); recoveries (INFO) follow <see cref="SendRecoveries"/>.</summary>
    public string MinLevel { get; set; } = AlertLevels.Warning;
    /// <summary>Only alerts about these domains; empty: every alert (an alert about no domain too).</summary>
    public List<string> Domains { get; set; } = [];
    /// <summary>Send "back to normal" (INFO) alerts even below MinLevel: PagerDuty resolves its incident with them.</summary>
    public bool SendRecoveries { get; set; } = true;

    // E-mail over SMTP.
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string Security { get; set; } = SmtpSecurity.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string? From { get; set; }
    public List<string> To { get; set; } = [];

    public string? Problem()
    {
        var who = $"Alerting channel '{Name}'";
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100 || Name.Any(char.IsControl)) return "Alerting channel names are 1-100 characters, no control characters.";
        if (!AlertChannelKinds.All.Contains(Kind)) return $"{who}: Kind is one of {string.Join(", ", AlertChannelKinds.All)}.";
        if (!AlertLevels.All.Contains(MinLevel)) return $"{who}: MinLevel is one of {string.Join(", ", AlertLevels.All)}.";
        if (Domains.Any(string.IsNullOrWhiteSpace)) return $"{who}: Domains names domains (no blank entry).";
        return Kind switch
        {
            AlertChannelKinds.Slack or AlertChannelKinds.Webhook when !IsHttpUrl(Url) => $"{who}: Url must be an absolute http(s) URL.",
            AlertChannelKinds.PagerDuty when Url is not null && !IsHttpUrl(Url) => $"{who}: Url must be an absolute http(s) URL (default {PagerDutyEventsUrl}).",
            AlertChannelKinds.PagerDuty when string.IsNullOrWhiteSpace(RoutingKey) || RoutingKey.Length > 100 => $"{who}: RoutingKey (the integration key) is required, at most 100 characters.",
            AlertChannelKinds.Email when string.IsNullOrWhiteSpace(Host) => $"{who}: Host (the SMTP server) is required.",
            AlertChannelKinds.Email when Port is < 1 or > 65535 => $"{who}: Port is 1-65535.",
            AlertChannelKinds.Email when !SmtpSecurity.All.Contains(Security) => $"{who}: Security is one of {string.Join(", ", SmtpSecurity.All)}.",
            AlertChannelKinds.Email when !IsAddress(From) => $"{who}: From must be an e-mail address.",
            AlertChannelKinds.Email when To.Count == 0 || !To.All(IsAddress) => $"{who}: To must list at least one e-mail address.",
            AlertChannelKinds.Email when Username is not null && Password is null => $"{who}: Password is required with Username.",
            _ => null,
        };
    }

    private static bool IsHttpUrl(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https";

    /// <summary>An address MimeKit reads as one mailbox ("a@b.example" or "Alerts &lt;a@b.example&gt;").</summary>
    private static bool IsAddress(string? address) =>
        address is { Length: <= 320 } && !address.Any(char.IsControl) && MimeKit.MailboxAddress.TryParse(address, out var mailbox)
        && mailbox.Address.IndexOf('@') is > 0 and var at && at < mailbox.Address.Length - 1;
}

/// <summary>Notification channels and how hard each delivery is tried (section Alerting).</summary>
public sealed class AlertingOptions
{
    public List<AlertChannelOptions> Channels { get; set; } = [];
    /// <summary>Attempts per alert and channel, the first included (1-20).</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>Wait before the second attempt; doubled each time up to <see cref="MaxBackoffMilliseconds"/> (1-60,000).</summary>
    public int InitialBackoffMilliseconds { get; set; } = 1000;
    /// <summary>The longest wait between two attempts (InitialBackoffMilliseconds-600,000).</summary>
    public int MaxBackoffMilliseconds { get; set; } = 30_000;
    /// <summary>One attempt's time limit (1-120 s).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    public string? Problem()
    {
        if (MaxAttempts is < 1 or > 20) return "Alerting:MaxAttempts is 1-20.";
        if (InitialBackoffMilliseconds is < 1 or > 60_000) return "Alerting:InitialBackoffMilliseconds is 1-60000.";
        if (MaxBackoffMilliseconds < InitialBackoffMilliseconds || MaxBackoffMilliseconds > 600_000) return "Alerting:MaxBackoffMilliseconds is InitialBackoffMilliseconds-600000.";
        if (TimeoutSeconds is < 1 or > 120) return "Alerting:TimeoutSeconds is 1-120.";
        if (Channels.Select(c => c.Name).GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return $"Alerting channel '{twice.Key}' is named twice.";
        // Webhooks added through the API are named webhook:<id>.
        if (Channels.FirstOrDefault(c => c.Name.StartsWith(AlertDelivery.StoredWebhookPrefix, StringComparison.Ordinal)) is { } taken)
            return $"Alerting channel '{taken.Name}': names starting '{AlertDelivery.StoredWebhookPrefix}' are the API's webhooks.";
        return Channels.Select(c => c.Problem()).FirstOrDefault(p => p is not null);
    }
}

/// <summary>Which channel takes an alert, what the alert means to it, and how deliveries are retried; pure, so tested exhaustively.</summary>
public static class AlertDelivery
{
    public const string StoredWebhookPrefix = "webhook:";
    public const string Trigger = "trigger";
    public const string Resolve = "resolve";

    public const string Delivered = "delivered";
    public const string Retrying = "retrying";
    public const string Failed = "failed";
    public static readonly IReadOnlyList<string> Statuses = [Delivered, Retrying, Failed];

    /// <summary>
    /// Every INFO alert the platform raises says a subject is back to normal (the monitor's ladder, an SLA met again):
    /// a recovery, which resolves what the same subject triggered.
    /// </summary>
    public static bool IsRecovery(AlertRaised alert) => alert.Level == AlertLevels.Info;

    public static string ActionOf(AlertRaised alert) => IsRecovery(alert) ? Resolve : Trigger;

    public static bool Wants(AlertChannelOptions channel, AlertRaised alert)
    {
        if (channel.Domains.Count > 0 && (alert.Domain is null || !channel.Domains.Contains(alert.Domain, StringComparer.Ordinal))) return false;
        if (IsRecovery(alert) && channel.SendRecoveries) return true;
        return AlertLevels.Rank(alert.Level) >= AlertLevels.Rank(channel.MinLevel);
    }

    /// <summary>
    /// The same for every alert about one subject (domain, model version, experiment, metric), whatever its level, so
    /// PagerDuty folds a WARNING, its CRITICAL and the recovery into one incident. At most 255 characters (PagerDuty's limit).
    /// </summary>
    public static string DedupKey(AlertRaised alert)
    {
        var key = string.Join("/", "domainplatform", alert.Domain ?? "-", alert.ModelVersion ?? "-", alert.ExperimentId?.ToString() ?? "-", alert.Metric);
        return key.Length <= 255 ? key : "domainplatform/sha256/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>PagerDuty's severities for the platform's levels.</summary>
    public static string PagerDutySeverity(string level) => level switch
    {
        AlertLevels.Emergency => "critical",
        AlertLevels.Critical => "error",
        AlertLevels.Warning => "warning",
        _ => "info",
    };

    /// <summary>The wait before attempt <paramref name="attempt"/> (2, 3, ...): the initial backoff doubled each time, capped.</summary>
    public static TimeSpan Backoff(int attempt, AlertingOptions o)
    {
        if (attempt < 2) return TimeSpan.Zero;
        var ms = o.InitialBackoffMilliseconds * Math.Pow(2, Math.Min(attempt - 2, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, o.MaxBackoffMilliseconds));
    }

    /// <summary>Worth another attempt: a timeout, throttling or a server error; any other 4xx is the request's fault and repeats.</summary>
    public static bool IsRetryable(int statusCode) => statusCode is 408 or 425 or 429 or >= 500;

    /// <summary>The status an attempt's outcome is logged with.</summary>
    public static string StatusOf(bool delivered, bool retryable, int attempt, AlertingOptions o) =>
        delivered ? Delivered : retryable && attempt < o.MaxAttempts ? Retrying : Failed;
}

/// <summary>What each channel is sent: pure builders of the message bodies.</summary>
public static class AlertMessages
{
    public const string Source = "domainplatform-experimentation";

    public static string Title(AlertRaised alert) =>
        $"{(AlertDelivery.IsRecovery(alert) ? "RESOLVED" : alert.Level)}: {alert.Domain ?? "platform"}{(alert.ModelVersion is { } v ? " " + v : "")} {alert.Metric}";

    /// <summary>A Slack incoming-webhook message: text (the notification and fallback) and blocks (what the channel shows).</summary>
    public static JsonObject Slack(AlertRaised alert)
    {
        var icon = alert.Level switch
        {
            AlertLevels.Emergency => ":rotating_light:",
            AlertLevels.Critical => ":red_circle:",
            AlertLevels.Warning => ":warning:",
            _ => ":white_check_mark:",
        };
        var fields = new JsonArray(
            Field("Level", alert.Level),
            Field("Domain", alert.Domain ?? "-"),
            Field("Model version", alert.ModelVersion ?? "-"),
            Field("Metric", alert.Metric),
            Field("Value", Number(alert.Value)),
            Field("Threshold", Number(alert.Threshold)));
        if (alert.ExperimentId is { } experiment) fields.Add(Field("Experiment", experiment.ToString()));
        return new JsonObject
        {
            ["text"] = $"{icon} {EscapeSlack(Title(alert))}: {EscapeSlack(alert.Message)}",
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate($"{icon} {Title(alert)}", 150) } },
                new JsonObject
                {
                    ["type"] = "section",
                    ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Truncate(EscapeSlack(alert.Message), 3000) },
                    ["fields"] = fields,
                },
                new JsonObject
                {
                    ["type"] = "context",
                    ["elements"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "mrkdwn",
                        ["text"] = $"alert {alert.AlertId} · {alert.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC · {Source}",
                    }),
                }),
        };

        static JsonObject Field(string name, string value) => new() { ["type"] = "mrkdwn", ["text"] = $"*{name}*\n{Truncate(EscapeSlack(value), 1900)}" };
    }

    /// <summary>A PagerDuty Events API v2 event: trigger (or, for a recovery, resolve) under the subject's dedup key.</summary>
    public static JsonObject PagerDuty(AlertRaised alert, string routingKey)
    {
        var message = new JsonObject
        {
            ["routing_key"] = routingKey,
            ["event_action"] = AlertDelivery.ActionOf(alert),
            ["dedup_key"] = AlertDelivery.DedupKey(alert),
        };
        if (AlertDelivery.IsRecovery(alert)) return message;
        message["client"] = "DomainPlatform";
        var payload = new JsonObject
        {
            ["summary"] = Truncate(alert.Message.Length > 0 ? alert.Message : Title(alert), 1024),
            ["source"] = Source,
            ["severity"] = AlertDelivery.PagerDutySeverity(alert.Level),
            ["timestamp"] = alert.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["component"] = alert.Domain ?? "platform",
            ["class"] = alert.Metric,
            ["custom_details"] = new JsonObject
            {
                ["alert_id"] = alert.AlertId.ToString(),
                ["level"] = alert.Level,
                ["domain"] = alert.Domain,
                ["model_version"] = alert.ModelVersion,
                ["experiment_id"] = alert.ExperimentId?.ToString(),
                ["metric"] = alert.Metric,
                ["value"] = Finite(alert.Value),
                ["threshold"] = Finite(alert.Threshold),
            },
        };
        // PagerDuty's optional fields are strings when present: leave group out for an alert about no one version.
        if (alert.ModelVersion is { } version) payload["group"] = version;
        message["payload"] = payload;
        return message;
    }

    /// <summary>An e-mail's subject and plain-text body.</summary>
    public static (string Subject, string Body) Email(AlertRaised alert)
    {
        var body = new StringBuilder()
            .AppendLine(alert.Message).AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Level:         {alert.Level}")
            .AppendLine(CultureInfo.InvariantCulture, $"Domain:        {alert.Domain ?? "-"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Model version: {alert.ModelVersion ?? "-"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Metric:        {alert.Metric}")
            .AppendLine(CultureInfo.InvariantCulture, $"Value:         {Number(alert.Value)}")
            .AppendLine(CultureInfo.InvariantCulture, $"Threshold:     {Number(alert.Threshold)}");
        if (alert.ExperimentId is { } experiment) body.AppendLine(CultureInfo.InvariantCulture, $"Experiment:    {experiment}");
        body.AppendLine(CultureInfo.InvariantCulture, $"Raised at:     {alert.OccurredAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC")
            .AppendLine(CultureInfo.InvariantCulture, $"Alert id:      {alert.AlertId}");
        // One line: a subject with a line break would be two headers.
        var subject = new string($"[DomainPlatform] {Title(alert)}".Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return (Truncate(subject, 200), body.ToString());
    }

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>Slack's mrkdwn needs &amp;, &lt; and &gt; escaped, or they are read as markup (links, mentions).</summary>
    public static string EscapeSlack(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
