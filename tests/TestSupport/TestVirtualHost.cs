using System.Net.Http.Headers;
using System.Text;

namespace DomainPlatform.TestSupport;

/// <summary>A RabbitMQ virtual host of its own for one test class, so queues never cross tests.</summary>
public sealed class TestVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _management;

    private TestVirtualHost(HttpClient management, string name)
    {
        _management = management;
        Name = name;
    }

    public string Name { get; }

    public string AmqpUri => $"{TestInfrastructure.RabbitMq}/{Uri.EscapeDataString(Name)}";

    public static async Task<TestVirtualHost> CreateAsync()
    {
        var uri = new Uri(TestInfrastructure.RabbitMqManagement);
        var client = new HttpClient { BaseAddress = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/") };
        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        var vhost = new TestVirtualHost(client, TestInfrastructure.UniqueName("t"));
        (await client.PutAsync($"api/vhosts/{vhost.Name}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await client.PutAsync($"api/permissions/{vhost.Name}/{Uri.EscapeDataString(user)}", permissions)).EnsureSuccessStatusCode();
        return vhost;
    }

    /// <summary>The names of the exchanges that exist in this virtual host now (the management API's view).</summary>
    public Task<IReadOnlyList<string>> ExchangesAsync() => NamesAsync("exchanges");

    /// <summary>The names of the queues that exist in this virtual host now.</summary>
    public Task<IReadOnlyList<string>> QueuesAsync() => NamesAsync("queues");

    private async Task<IReadOnlyList<string>> NamesAsync(string kind)
    {
        using var response = await _management.GetAsync($"api/{kind}/{Uri.EscapeDataString(Name)}");
        response.EnsureSuccessStatusCode();
        using var list = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return list.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _management.DeleteAsync($"api/vhosts/{Name}");
        _management.Dispose();
    }
}
