using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.Contracts;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using Npgsql;
using RabbitMQ.Client;

// Usage: dotnet run -c Release --project benchmarks/Experimentation.Benchmarks [service dll] [port]
// Needs PLATFORM_TEST_POSTGRES, PLATFORM_TEST_REDIS, PLATFORM_TEST_RABBITMQ(_MANAGEMENT) (. /tmp/lead/env.sh or ./platform test)
// and a built service (dotnet build -c Release services/Experimentation).
var root = Directory.GetCurrentDirectory();
var serviceDll = args.Length > 0 ? args[0] : Path.Combine(root, "services/Experimentation/bin/Release/net10.0/Experimentation.dll");
var port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 47120;
string Env(string name) => Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set.");
if (!File.Exists(serviceDll)) throw new FileNotFoundException("Build the service first: dotnet build -c Release services/Experimentation", serviceDll);

var suffix = Guid.NewGuid().ToString("N")[..10];
var vhost = $"bench_{suffix}";
var database = $"bench_{suffix}";
var management = new Uri(Env("PLATFORM_TEST_RABBITMQ_MANAGEMENT"));
using var admin = new HttpClient { BaseAddress = new Uri($"{management.Scheme}://{management.Host}:{management.Port}/") };
admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(management.UserInfo))));
var user = Uri.UnescapeDataString(management.UserInfo.Split(':')[0]);
(await admin.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
(await admin.PutAsJsonAsync($"api/permissions/{vhost}/{user}", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
var amqp = $"{Env("PLATFORM_TEST_RABBITMQ").TrimEnd('/')}/{vhost}";
var postgres = new NpgsqlConnectionStringBuilder(Env("PLATFORM_TEST_POSTGRES")) { Database = database }.ConnectionString;

var service = Process.Start(new ProcessStartInfo("dotnet", [serviceDll])
{
    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
    Environment =
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["ConnectionStrings__experimentationdb"] = postgres,
        ["ConnectionStrings__redis"] = Env("PLATFORM_TEST_REDIS") + ",defaultDatabase=15",
        ["ConnectionStrings__eventbus"] = amqp,
        ["Logging__LogLevel__Default"] = "Warning",
    },
})!;
service.OutputDataReceived += (_, _) => { };
service.ErrorDataReceived += (_, _) => { };
service.BeginOutputReadLine();
service.BeginErrorReadLine();
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
try
{
    await WaitAsync(async () => (await http.GetAsync("health")).IsSuccessStatusCode, "service readiness");
    var factory = new ConnectionFactory { Uri = new Uri(amqp) };
    await using var connection = await factory.CreateConnectionAsync();
    await using var channel = await connection.CreateChannelAsync();
    var exchange = EventCatalog.NameOf(typeof(InferenceCompleted));
    // The service binds its queue to the exchange once its bus is up.
    await WaitAsync(async () => (await admin.GetAsync($"api/exchanges/{vhost}/{exchange}/bindings/source")) is { IsSuccessStatusCode: true } r
        && (await r.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength() > 0, "the service's queue binding");

    Console.WriteLine("| events | publish s | end-to-end s | events/s (end to end) |");
    Console.WriteLine("| ---: | ---: | ---: | ---: |");
    foreach (var count in new[] { 2_000, 10_000, 20_000 })
    {
        var domain = $"bench-{count}-{suffix}";
        var bodies = Enumerable.Range(0, count).Select(i => JsonSerializer.SerializeToUtf8Bytes(
            new InferenceCompleted($"r{i}-{suffix}", domain, "stable", "1.0.0", 100 + i % 50, 20, 10, 30, 200, i % 50 != 0, false, "h", null),
            EventSerialization.Options)).ToArray();
        var clock = Stopwatch.StartNew();
        foreach (var body in bodies)
        {
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
            await channel.BasicPublishAsync(exchange, "", false, properties, body);
        }
        var published = clock.Elapsed.TotalSeconds;
        await WaitAsync(async () =>
        {
            var rows = await http.GetFromJsonAsync<JsonElement>($"api/metrics?domain={domain}&sinceUnixMs=0");
            return rows.EnumerateArray().Any(r => r.GetProperty("metric").GetString() == "error_rate" && r.GetProperty("count").GetInt64() == count);
        }, $"{count} events counted", pollMs: 50, timeoutSeconds: 600);
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {count} | {published:F2} | {total:F2} | {count / total:F0} |"));
    }
}
finally
{
    service.Kill(entireProcessTree: true);
    await service.WaitForExitAsync();
    await admin.DeleteAsync($"api/vhosts/{vhost}");
    NpgsqlConnection.ClearAllPools();
    await using var pg = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Env("PLATFORM_TEST_POSTGRES")) { Database = "postgres" }.ConnectionString);
    await pg.OpenAsync();
    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", pg);
    await drop.ExecuteNonQueryAsync();
}

static async Task WaitAsync(Func<Task<bool>> done, string what, int pollMs = 200, int timeoutSeconds = 120)
{
    var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
    while (DateTime.UtcNow < deadline)
    {
        try { if (await done()) return; }
        catch (HttpRequestException) { /* not up yet */ }
        await Task.Delay(pollMs);
    }
    throw new TimeoutException($"Gave up waiting for {what}.");
}
