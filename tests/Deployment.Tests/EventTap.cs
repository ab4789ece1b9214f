using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

/// <summary>A queue of the test's own bound to an event's exchange in the service's vhost, read as raw JSON through the management API.</summary>
public sealed class EventTap
{
    private readonly HttpClient _management;
    private readonly string _vhost;
    private readonly string _queue;

    private EventTap(HttpClient management, string vhost, string queue)
    {
        _management = management;
        _vhost = vhost;
        _queue = queue;
    }

    public static HttpClient Management()
    {
        var uri = new Uri(TestInfrastructure.RabbitMqManagement);
        var client = new HttpClient { BaseAddress = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        return client;
    }

    /// <summary>Declares the exchange as MassTransit does (durable fan-out) so the binding exists before the first publish.</summary>
    public static async Task<EventTap> BindAsync(string vhost, string exchange)
    {
        var client = Management();
        var queue = $"test-tap-{Guid.NewGuid():N}";
        var v = Uri.EscapeDataString(vhost);
        (await client.PutAsJsonAsync($"api/exchanges/{v}/{exchange}", new { type = "fanout", durable = true, auto_delete = false })).EnsureSuccessStatusCode();
        (await client.PutAsJsonAsync($"api/queues/{v}/{queue}", new { durable = false, auto_delete = false })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync($"api/bindings/{v}/e/{exchange}/q/{queue}", new { routing_key = "" })).EnsureSuccessStatusCode();
        return new EventTap(client, vhost, queue);
    }

    /// <summary>Takes the messages waiting in the queue, as parsed JSON bodies.</summary>
    public async Task<IReadOnlyList<JsonElement>> TakeAsync()
    {
        var response = await _management.PostAsJsonAsync($"api/queues/{Uri.EscapeDataString(_vhost)}/{_queue}/get",
            new { count = 100, ackmode = "ack_requeue_false", encoding = "auto" });
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>();
        return messages.EnumerateArray().Select(m => JsonDocument.Parse(m.GetProperty("payload").GetString()!).RootElement.Clone()).ToList();
    }

    public static async Task PublishAsync(string vhost, string exchange, object body)
    {
        using var client = Management();
        var payload = JsonSerializer.Serialize(body, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var response = await client.PostAsJsonAsync($"api/exchanges/{Uri.EscapeDataString(vhost)}/{exchange}/publish", new
        {
            properties = new { content_type = "application/json", message_id = Guid.NewGuid().ToString() },
            routing_key = "",
            payload,
            payload_encoding = "string",
        });
        response.EnsureSuccessStatusCode();
        var routed = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(routed.GetProperty("routed").GetBoolean(), $"nothing is bound to {exchange} yet");
    }
}
