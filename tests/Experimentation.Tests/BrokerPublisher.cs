using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.Contracts;
using DomainPlatform.EventBus;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>
/// Publishes events into a test virtual host as another service would (plain JSON on the event's exchange),
/// through the RabbitMQ management API, and reads what the service published.
/// </summary>
public sealed class BrokerPublisher : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _vhost;

    public BrokerPublisher(string vhost)
    {
        var uri = new Uri(TestInfrastructure.RabbitMqManagement);
        _http = new HttpClient { BaseAddress = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        _vhost = Uri.EscapeDataString(vhost);
    }

    /// <summary>Publishes once the service has bound its queue to the event's exchange (routed = true).</summary>
    public async Task PublishAsync(IntegrationEvent evt)
    {
        var exchange = EventCatalog.NameOf(evt.GetType());
        var body = new
        {
            properties = new { message_id = evt.EventId.ToString(), content_type = "application/json", delivery_mode = 2 },
            routing_key = "",
            payload = JsonSerializer.Serialize(evt, evt.GetType(), EventSerialization.Options),
            payload_encoding = "string",
        };
        await Eventually.GetAsync(async () =>
        {
            var response = await _http.PostAsJsonAsync($"api/exchanges/{_vhost}/{exchange}/publish", body);
            if (!response.IsSuccessStatusCode) return false;
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("routed").GetBoolean();
        }, routed => routed, $"{exchange} to be routed to a queue");
    }

    /// <summary>A queue of the test's own bound to an event's exchange, to see what the service publishes.</summary>
    public async Task<string> ListenAsync(string exchange)
    {
        var queue = TestInfrastructure.UniqueName("probe");
        (await _http.PutAsJsonAsync($"api/exchanges/{_vhost}/{exchange}", new { type = "fanout", durable = true })).EnsureSuccessStatusCode();
        (await _http.PutAsJsonAsync($"api/queues/{_vhost}/{queue}", new { durable = true })).EnsureSuccessStatusCode();
        (await _http.PostAsJsonAsync($"api/bindings/{_vhost}/e/{exchange}/q/{queue}", new { routing_key = "" })).EnsureSuccessStatusCode();
        return queue;
    }

    /// <summary>Takes the messages waiting in a probe queue, as JSON bodies.</summary>
    public async Task<IReadOnlyList<JsonElement>> TakeAsync(string queue)
    {
        var response = await _http.PostAsJsonAsync($"api/queues/{_vhost}/{queue}/get", new { count = 100, ackmode = "ack_requeue_false", encoding = "auto" });
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>();
        return messages.EnumerateArray().Select(m => JsonSerializer.Deserialize<JsonElement>(m.GetProperty("payload").GetString()!)).ToArray();
    }

    public void Dispose() => _http.Dispose();
}
