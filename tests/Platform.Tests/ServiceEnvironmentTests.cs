namespace DomainPlatform.Platform.Tests;

/// <summary>The Aspire environment contract ./platform gives each service.</summary>
public sealed class ServiceEnvironmentTests
{
    private static readonly string[] Services = ["gateway", "deployment", "experimentation", "extraction", "training", "inference"];

    [Fact]
    public async Task The_default_profile_gives_deployment_exactly_the_aspire_contract()
    {
        var env = await Launcher.ServiceEnvironmentAsync("deployment", "default");

        var expected = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = "deployment",
            ["Kestrel__Endpoints__http__Url"] = "http://127.0.0.1:5101",
            ["Kestrel__Endpoints__grpc__Url"] = "http://127.0.0.1:5111",
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["ConnectionStrings__deploymentdb"] = "Host=127.0.0.1;Port=25432;Database=deploymentdb;Username=platform;Password=platform",
            ["ConnectionStrings__redis"] = "127.0.0.1:26379,defaultDatabase=0",
            ["ConnectionStrings__eventbus"] = "amqp://platform:platform@127.0.0.1:25672/%2F",
            ["Inference__DemoModel"] = Path.Combine(Launcher.Root, ".models", "demo.gguf"),
            ["services__gateway__http__0"] = "http://127.0.0.1:5100",
            ["services__deployment__http__0"] = "http://127.0.0.1:5101",
            ["services__deployment__grpc__0"] = "http://127.0.0.1:5111",
            ["services__experimentation__http__0"] = "http://127.0.0.1:5102",
            ["services__experimentation__grpc__0"] = "http://127.0.0.1:5112",
            ["services__extraction__http__0"] = "http://127.0.0.1:5103",
            ["services__extraction__grpc__0"] = "http://127.0.0.1:5113",
            ["services__training__http__0"] = "http://127.0.0.1:5104",
            ["services__training__grpc__0"] = "http://127.0.0.1:5114",
            ["services__inference__http__0"] = "http://127.0.0.1:5105",
            ["services__inference__grpc__0"] = "http://127.0.0.1:5115",
        };
        Assert.Equal(expected.OrderBy(p => p.Key), env.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task The_gateway_has_no_grpc_endpoint_and_is_told_where_to_write_the_admin_key()
    {
        var env = await Launcher.ServiceEnvironmentAsync("gateway", "default");

        Assert.Equal("http://127.0.0.1:5100", env["Kestrel__Endpoints__http__Url"]);
        Assert.DoesNotContain("Kestrel__Endpoints__grpc__Url", env.Keys);
        Assert.DoesNotContain("services__gateway__grpc__0", env.Keys);
        Assert.Equal(Path.Combine(Launcher.Root, ".platform", "run", "default", "admin-key"), env["Gateway__AdminKeyFile"]);
        Assert.StartsWith("Host=127.0.0.1;Port=25432;Database=gatewaydb;", env["ConnectionStrings__gatewaydb"]);
    }

    [Theory]
    [InlineData("experimentation")]
    [InlineData("extraction")]
    [InlineData("training")]
    [InlineData("inference")]
    public async Task Each_service_gets_its_own_database_and_only_that_one(string service)
    {
        var env = await Launcher.ServiceEnvironmentAsync(service, "default");

        var databases = env.Keys.Where(key => key.EndsWith("db", StringComparison.Ordinal) && key.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        Assert.Equal([$"ConnectionStrings__{service}db"], databases);
        Assert.Contains($"Database={service}db;", env[$"ConnectionStrings__{service}db"]);
        Assert.Equal(service, env["OTEL_SERVICE_NAME"]);
        Assert.False(env.ContainsKey("Gateway__AdminKeyFile"));
    }

    [Fact]
    public async Task A_named_profile_gets_its_own_ports_databases_vhost_and_redis_database()
    {
        var env = await Launcher.ServiceEnvironmentAsync("inference", "e2e-AbC.1", portBase: 21000);

        Assert.Equal("http://127.0.0.1:21005", env["Kestrel__Endpoints__http__Url"]);
        Assert.Equal("http://127.0.0.1:21015", env["Kestrel__Endpoints__grpc__Url"]);
        Assert.Equal("http://127.0.0.1:21000", env["services__gateway__http__0"]);
        Assert.Contains("Database=inferencedb_e2e_abc_1;", env["ConnectionStrings__inferencedb"]);
        Assert.Equal("amqp://platform:platform@127.0.0.1:25672/e2e-AbC.1", env["ConnectionStrings__eventbus"]);
        var redisDatabase = int.Parse(env["ConnectionStrings__redis"].Split("defaultDatabase=")[1]);
        Assert.InRange(redisDatabase, 1, 15);
    }

    [Fact]
    public async Task A_profile_keeps_the_same_redis_database_and_derived_port_base_every_time()
    {
        var first = await Launcher.ServiceEnvironmentAsync("training", "e2e-stable");
        var second = await Launcher.ServiceEnvironmentAsync("training", "e2e-stable");

        Assert.Equal(first["ConnectionStrings__redis"], second["ConnectionStrings__redis"]);
        Assert.Equal(first["Kestrel__Endpoints__http__Url"], second["Kestrel__Endpoints__http__Url"]);
        Assert.NotEqual("http://127.0.0.1:5104", first["Kestrel__Endpoints__http__Url"]);
    }

    [Fact]
    public async Task A_user_set_environment_name_is_passed_on()
    {
        var env = await Launcher.ServiceEnvironmentAsync("deployment", "default",
            environment: new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });

        Assert.Equal("Production", env["ASPNETCORE_ENVIRONMENT"]);
    }

    [Fact]
    public async Task Infrastructure_ports_come_from_the_environment()
    {
        var env = await Launcher.ServiceEnvironmentAsync("deployment", "default",
            environment: new Dictionary<string, string> { ["PLATFORM_PG_PORT"] = "6543", ["PLATFORM_REDIS_PORT"] = "6390" });

        Assert.Contains("Port=6543;", env["ConnectionStrings__deploymentdb"]);
        Assert.StartsWith("127.0.0.1:6390,", env["ConnectionStrings__redis"]);
    }

    [Fact]
    public async Task Every_service_knows_every_other_service()
    {
        foreach (var service in Services)
        {
            var env = await Launcher.ServiceEnvironmentAsync(service, "default");
            Assert.All(Services, other => Assert.True(env.ContainsKey($"services__{other}__http__0"), $"{service} lacks {other}"));
        }
    }
}
