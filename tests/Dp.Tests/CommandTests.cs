using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using DomainPlatform.Dp.Cli;

namespace DomainPlatform.Dp.Tests;

public sealed class CommandTests
{
    private const string Domain = """
        {"id":"0x5678-SQLAgent","status":"active","revision":2,"config":{"name":"SQL agent","team":"data","keywords":["sql","orders"],"maxTokens":512,
         "gates":{"minAccuracy":0.85,"maxLatencyMs":500},"rollback":{"minSamples":50},"cache":{"enabled":true,"ttlSeconds":300},"rollout":{}},
         "createdAt":"2026-12-01T10:00:00Z","updatedAt":"2026-12-01T11:30:00Z"}
        """;

    [Fact]
    public async Task A_list_is_a_table_and_with_json_the_api_body_as_it_came()
    {
        using var dp = new DpRun();
        var body = $"[{Domain}]";
        dp.Gateway.On("GET /api/domains?team=data", 200, body);

        var table = await dp.RunAsync("domains", "list", "--team", "data");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("ID", table.Output);
        Assert.Contains("0x5678-SQLAgent", table.Output);
        Assert.Contains("SQL agent", table.Output);
        Assert.Contains("sql, orders", table.Output);
        Assert.Contains("2026-12-01 11:30:00", table.Output);

        var json = await dp.RunAsync("domains", "list", "--team", "data", "--json");
        Assert.Equal(0, json.ExitCode);
        Assert.Equal(body, json.Output.TrimEnd('\n', '\r'));
        Assert.Equal("0x5678-SQLAgent", JsonDocument.Parse(json.Output).RootElement[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_rate_limited_request_is_sent_again_after_its_short_retry_after_and_says_so()
    {
        using var dp = new DpRun();
        const string limited = """{"title":"Rate limit exceeded","status":429,"detail":"This API key has used its burst of 120 requests; retry in 1 s."}""";
        dp.Gateway.On("POST /api/domains/0x5678-SQLAgent/archive", 429, limited, TimeSpan.FromSeconds(1))
            .On("POST /api/domains/0x5678-SQLAgent/archive", 200, Domain.Replace("\"active\"", "\"archived\"", StringComparison.Ordinal));

        var result = await dp.RunAsync("domains", "archive", "0x5678-SQLAgent", "--reason", "retired");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(2, dp.Gateway.Requests.Count(r => r.Method == "POST"));
        Assert.Contains("rate limited (429), sending it again in 1 s (1 of 3)", result.Error);
    }

    [Fact]
    public async Task A_rate_limit_with_a_long_retry_after_fails_at_once_with_the_gateways_message()
    {
        using var dp = new DpRun();
        const string limited = """{"title":"Rate limit exceeded","status":429,"detail":"This API key has used its burst of 120 requests; retry in 60 s."}""";
        dp.Gateway.On("GET /api/domains", 429, limited, TimeSpan.FromSeconds(60));

        var result = await dp.RunAsync("domains", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Single(dp.Gateway.Requests);
        Assert.Contains("retry in 60 s", result.Error);
    }

    [Fact]
    public async Task Train_history_is_a_table_of_the_jobs_kept_points_and_with_json_the_api_body()
    {
        using var dp = new DpRun();
        var body = """
            {"jobId":"0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f","state":"succeeded","maxPoints":500,"points":[
             {"seq":1,"at":"2026-12-01T11:30:00Z","epoch":1,"totalEpochs":1,"step":1,"totalSteps":2,"progress":0.5,"trainingLoss":3.889,"validationLoss":null,"tokensPerSecond":1480.4},
             {"seq":2,"at":"2026-12-01T11:30:01Z","epoch":1,"totalEpochs":1,"step":2,"totalSteps":2,"progress":1,"trainingLoss":3.5,"validationLoss":3.7,"tokensPerSecond":1500}]}
            """;
        dp.Gateway.On("GET /api/training/jobs/0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f/history", 200, body);

        var table = await dp.RunAsync("train", "history", "0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("TRAIN LOSS", table.Output);
        Assert.Contains("3.889", table.Output);
        Assert.Contains("1480", table.Output);
        Assert.Contains("3.7", table.Output);
        Assert.Contains("2026-12-01 11:30:01", table.Output);

        var json = await dp.RunAsync("train", "history", "0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f", "--json");
        Assert.Equal(0, json.ExitCode);
        Assert.Equal(2, JsonDocument.Parse(json.Output).RootElement.GetProperty("points").GetArrayLength());
    }

    [Fact]
    public async Task A_refusal_exits_1_with_the_problem_details_title_detail_and_each_field_error_on_stderr()
    {
        using var dp = new DpRun();
        dp.Gateway.On("POST /api/domains", 400, """
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,
             "detail":"The domain configuration is invalid.","errors":{"maxTokens":["maxTokens is between 1 and 32768."],"gates.minAccuracy":["minAccuracy is between 0 and 1."]}}
            """);
        var result = await dp.RunAsync("domains", "create", "x", "--name", "X", "--max-tokens", "0", "--set", "gates.minAccuracy=2");
        Assert.Equal(ExitCodes.ApiError, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains("POST /api/domains: 400 One or more validation errors occurred.: The domain configuration is invalid.", result.Error);
        Assert.Contains("  maxTokens: maxTokens is between 1 and 32768.", result.Error);
        Assert.Contains("  gates.minAccuracy: minAccuracy is between 0 and 1.", result.Error);
    }

    [Fact]
    public void An_openai_error_on_v1_is_shown_by_its_message()
    {
        var error = Api.ApiException.From(HttpMethod.Get, "/v1/models/x", 404, "Not Found",
            """{"error":{"message":"The model 'x' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""");
        Assert.Equal("GET /v1/models/x: 404 model_not_found: The model 'x' does not exist.", error.Message);
    }

    [Fact]
    public async Task A_401_without_a_key_says_how_to_give_one()
    {
        using var dp = new DpRun();
        dp.Environment.Remove("DP_API_KEY");
        dp.Gateway.On("GET /api/domains", 401, """{"title":"Unauthorized","status":401,"detail":"An API key is required."}""");
        var result = await dp.RunAsync("domains", "list");
        Assert.Equal(ExitCodes.ApiError, result.ExitCode);
        Assert.Null(dp.Gateway.Requests.Single().Authorization);
        Assert.Contains("401 Unauthorized: An API key is required.", result.Error);
        Assert.Contains("no API key was sent: pass --api-key, set DP_API_KEY, or run `dp login`", result.Error);
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_3_naming_it()
    {
        using var dp = new DpRun();
        dp.Gateway.Failure = new HttpRequestException("Connection refused (gateway.test:5100)");
        var result = await dp.RunAsync("rollouts", "list");
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("cannot reach the gateway at http://gateway.test:5100/: Connection refused", result.Error);
    }

    [Theory]
    [InlineData("domains", "lst")]
    [InlineData("rollouts", "weight", "abc")]
    [InlineData("keys", "create", "--name", "bot", "--role", "superuser")]
    [InlineData("domains", "create", "x")]
    public async Task A_parse_error_exits_2_and_sends_nothing(params string[] args)
    {
        using var dp = new DpRun();
        var result = await dp.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.NotEmpty(result.Error);
        Assert.Empty(dp.Gateway.Requests);
    }

    [Fact]
    public async Task Create_sends_only_the_fields_given_with_set_paths_as_json_values()
    {
        using var dp = new DpRun();
        dp.Gateway.On("POST /api/domains", 201, Domain);
        var result = await dp.RunAsync("domains", "create", "0x5678-SQLAgent", "--name", "SQL agent", "--keyword", "sql", "--keyword", "orders",
            "--min-samples", "20", "--cache", "false", "--set", "gates.minAccuracy=0.9", "--set", "rollout.steps=[5,50,100]", "--set", "team=data");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("SQL agent", result.Output);

        var sent = dp.Gateway.Requests.Single();
        Assert.Equal("application/json", sent.ContentType);
        using var body = JsonDocument.Parse(sent.Body!);
        var root = body.RootElement;
        Assert.Equal("0x5678-SQLAgent", root.GetProperty("id").GetString());
        Assert.Equal(["sql", "orders"], root.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()!).ToArray());
        Assert.Equal(20, root.GetProperty("rollback").GetProperty("minSamples").GetInt32());
        Assert.False(root.GetProperty("cache").GetProperty("enabled").GetBoolean());
        Assert.Equal(0.9, root.GetProperty("gates").GetProperty("minAccuracy").GetDouble());
        Assert.Equal([5.0, 50, 100], root.GetProperty("rollout").GetProperty("steps").EnumerateArray().Select(s => s.GetDouble()).ToArray());
        Assert.Equal("data", root.GetProperty("team").GetString());
        Assert.False(root.TryGetProperty("maxTokens", out _));
        Assert.False(root.TryGetProperty("layer", out _));
    }

    [Fact]
    public async Task Update_with_nothing_to_change_is_a_usage_error()
    {
        using var dp = new DpRun();
        var result = await dp.RunAsync("domains", "update", "x");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("nothing to change", result.Error);
    }

    [Fact]
    public async Task Endpoints_that_take_no_body_get_none_and_path_values_are_escaped()
    {
        using var dp = new DpRun();
        var id = Guid.NewGuid();
        dp.Gateway.On($"POST /api/experiments/{id}/start", 200, """{"id":"x","status":"running","variants":[]}""");
        dp.Gateway.On("DELETE /api/domains/a%2Fb?force=true", 204, "");
        Assert.Equal(0, (await dp.RunAsync("experiments", "start", id.ToString())).ExitCode);
        Assert.Null(dp.Gateway.Requests[^1].Body);
        var deleted = await dp.RunAsync("domains", "delete", "a/b", "--force");
        Assert.Equal(0, deleted.ExitCode);
        Assert.Null(dp.Gateway.Requests[^1].Body);
        Assert.Contains("deleted domain a/b", deleted.Output);
    }

    [Fact]
    public async Task Register_hashes_the_file_and_sends_its_absolute_path_size_and_metrics()
    {
        using var dp = new DpRun();
        var file = Path.Combine(dp.Home, "model.gguf");
        await File.WriteAllBytesAsync(file, [0x47, 0x47, 0x55, 0x46, 1, 2, 3], TestContext.Current.CancellationToken);
        dp.Gateway.On("POST /api/models/d1/versions", 201, """{"domain":"d1","version":"1.0.0","gatesPassed":false,"gateReport":"accuracy 0.5 not >= 0.85","metrics":{"accuracy":0.5}}""");
        var result = await dp.RunAsync("models", "register", "d1", file, "--version", "1.0.0", "--metric", "accuracy=0.5", "--tag", "demo");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("failed: accuracy 0.5 not >= 0.85", result.Output);
        using var body = JsonDocument.Parse(dp.Gateway.Requests.Single().Body!);
        Assert.Equal(file, body.RootElement.GetProperty("artifactPath").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken))),
            body.RootElement.GetProperty("artifactSha256").GetString());
        Assert.Equal(7, body.RootElement.GetProperty("artifactSizeBytes").GetInt64());
        Assert.Equal(0.5, body.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task Deploy_serves_a_version_or_rolls_back_to_it_with_the_reason()
    {
        using var dp = new DpRun();
        const string view = """{"domain":"d1","stableVersion":"1.0.0","canaryVersion":null,"canaryWeight":0}""";
        dp.Gateway.On("POST /api/deployments/d1/stable", 200, view).On("POST /api/deployments/d1/rollback", 200, view);
        Assert.Equal(0, (await dp.RunAsync("deploy", "d1", "1.0.0")).ExitCode);
        Assert.Equal("""{"version":"1.0.0"}""", dp.Gateway.Requests[^1].Body);
        var rolledBack = await dp.RunAsync("deploy", "d1", "1.0.0", "--rollback", "1.1.0 answers wrong");
        Assert.Equal(0, rolledBack.ExitCode);
        Assert.Equal("/api/deployments/d1/rollback", dp.Gateway.Requests[^1].PathAndQuery);
        Assert.Equal("""{"version":"1.0.0","reason":"1.1.0 answers wrong"}""", dp.Gateway.Requests[^1].Body);
        Assert.Contains("1.0.0", rolledBack.Output);
    }

    [Fact]
    public async Task An_alias_is_set_with_a_version_and_removed_with_remove_but_not_both()
    {
        using var dp = new DpRun();
        dp.Gateway.On("PUT /api/models/d1/aliases/champion", 200, """{"version":"1.0.0","aliases":["champion"]}""")
            .On("DELETE /api/models/d1/aliases/champion", 204, "");
        Assert.Equal(0, (await dp.RunAsync("models", "alias", "d1", "champion", "1.0.0")).ExitCode);
        Assert.Equal("""{"version":"1.0.0"}""", dp.Gateway.Requests[^1].Body);
        Assert.Contains("removed alias champion", (await dp.RunAsync("models", "alias", "d1", "champion", "--remove")).Output);
        Assert.Equal("DELETE", dp.Gateway.Requests[^1].Method);
        var both = await dp.RunAsync("models", "alias", "d1", "champion", "1.0.0", "--remove");
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Equal(2, dp.Gateway.Requests.Count);
    }

    [Fact]
    public async Task Experiment_variants_are_read_as_name_version_and_weight_control_first()
    {
        using var dp = new DpRun();
        dp.Gateway.On("POST /api/experiments", 201, """{"id":"e1","name":"ab","domain":"d1","status":"draft","variants":[]}""");
        var result = await dp.RunAsync("experiments", "create", "--name", "ab", "--domain", "d1", "--variant", "control=1.0.0:80", "--variant", "b=1.1.0:20",
            "--method", "bayesian", "--set", "successCriteria.minImprovement=0.05");
        Assert.Equal(0, result.ExitCode);
        using var body = JsonDocument.Parse(dp.Gateway.Requests.Single().Body!);
        var variants = body.RootElement.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(("control", "1.0.0", 80.0), (variants[0].GetProperty("name").GetString(), variants[0].GetProperty("modelVersion").GetString(), variants[0].GetProperty("weight").GetDouble()));
        Assert.Equal(("b", "1.1.0", 20.0), (variants[1].GetProperty("name").GetString(), variants[1].GetProperty("modelVersion").GetString(), variants[1].GetProperty("weight").GetDouble()));
        Assert.Equal("bayesian", body.RootElement.GetProperty("analysisMethod").GetString());
        Assert.Equal(0.05, body.RootElement.GetProperty("successCriteria").GetProperty("minImprovement").GetDouble());
    }

    [Theory]
    [InlineData("--steps", "1,ten,100", "--steps: 'ten' is not a number")]
    [InlineData("--interval", "0", "--interval is between 0.05 and 3600 seconds")]
    public async Task A_bad_value_is_named_before_anything_is_sent(string option, string value, string message)
    {
        using var dp = new DpRun();
        var args = option == "--interval" ? new[] { "rollouts", "follow", "r1", option, value } : ["rollouts", "start", "d1", "1.1.0", option, value];
        var result = await dp.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Empty(dp.Gateway.Requests);
    }

    [Fact]
    public async Task Completion_scripts_ask_dp_itself_and_the_suggest_directive_answers_with_the_command_tree()
    {
        using var dp = new DpRun();
        var bash = await dp.RunAsync("completion", "bash");
        Assert.Equal(0, bash.ExitCode);
        Assert.Contains("complete -o default -F _dp_complete dp", bash.Output);
        Assert.Contains("[suggest:${COMP_POINT}]", bash.Output);
        Assert.Contains("compdef _dp dp", (await dp.RunAsync("completion", "zsh")).Output);

        var subcommand = await dp.RunAsync("[suggest:13]", "dp domains cr");
        Assert.Equal(["create"], Lines(subcommand.Output));
        var roles = await dp.RunAsync("[suggest:31]", "dp keys create --name x --role ");
        Assert.Equal(["admin", "client", "operator", "viewer"], Lines(roles.Output));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Domain_health_shows_each_versions_score_and_breaches_and_exits_4_when_one_is_violated()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/metrics/health?domain=law", 200, """
            {"domain":"law","windowStart":"2026-12-01T11:25:00Z","windowEnd":"2026-12-01T11:30:00Z","windowSeconds":300,"versions":[
              {"modelVersion":"1.0.0","score":96.5,"state":"met","components":[{"target":"latency_p95_ms","value":420,"threshold":500,"score":1,"met":true,"weight":0.25}],"breaches":[]},
              {"modelVersion":"1.1.0","score":44.75,"state":"violated","components":[{"target":"error_rate","value":0.1,"threshold":0.05,"score":0.5,"met":false,"weight":0.25}],
               "breaches":[{"target":"error_rate","value":0.1,"threshold":0.05,"reason":"error rate 10% above the SLA's 5% over 300 s (40 requests)"}]}]}
            """);

        var result = await dp.RunAsync("domains", "health", "law");

        Assert.Equal(ExitCodes.Unsuccessful, result.ExitCode);
        Assert.Contains("96.5", result.Output);
        Assert.Contains("violated", result.Output);
        Assert.Contains("error rate 10% above the SLA's 5% over 300 s (40 requests)", result.Output);
    }

    [Fact]
    public async Task Setting_one_sla_target_keeps_the_others_as_they_were()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/alerts/sla/law", 200, """{"domain":"law","latencyP95Ms":500,"maxErrorRate":0.05,"minAvailability":0.99,"minAccuracy":null,"windowSeconds":300,"isDefault":false}""");
        dp.Gateway.On("PUT /api/alerts/sla/law", 200, """{"domain":"law","latencyP95Ms":800,"maxErrorRate":0.05,"minAvailability":0.99,"minAccuracy":null,"windowSeconds":300,"isDefault":false}""");

        var result = await dp.RunAsync("domains", "sla", "law", "--latency-p95-ms", "800");

        Assert.Equal(0, result.ExitCode);
        var sent = System.Text.Json.JsonDocument.Parse(dp.Gateway.Requests.Single(r => r.Method == "PUT").Body!).RootElement;
        Assert.Equal((800, 0.05, 0.99, 300), (sent.GetProperty("latencyP95Ms").GetDouble(), sent.GetProperty("maxErrorRate").GetDouble(),
            sent.GetProperty("minAvailability").GetDouble(), sent.GetProperty("windowSeconds").GetDouble()));
        Assert.False(sent.TryGetProperty("minAccuracy", out _));
        Assert.Contains("800 ms", result.Output);
    }

    [Fact]
    public async Task A_followed_report_waits_until_generated_and_download_writes_its_csv()
    {
        using var dp = new DpRun();
        const string id = "0193f5a2-7c1e-7d3a-9b2f-1a2b3c4d5e6f";
        dp.Gateway.On("POST /api/reports", 202, $$"""{"id":"{{id}}","scope":"domain","domain":"law","status":"queued","progress":0}""");
        dp.Gateway.On($"GET /api/reports/{id}", 200, $$"""{"id":"{{id}}","scope":"domain","domain":"law","status":"running","progress":0.5}""");
        dp.Gateway.On($"GET /api/reports/{id}", 200, $$"""{"id":"{{id}}","scope":"domain","domain":"law","status":"completed","progress":1,"completedAt":"2026-12-01T12:00:00Z"}""");

        var created = await dp.RunAsync("reports", "create", "--domain", "law", "--window-seconds", "3600", "--follow", "--interval", "0.05");

        Assert.Equal(0, created.ExitCode);
        var sent = System.Text.Json.JsonDocument.Parse(dp.Gateway.Requests.First(r => r.Method == "POST").Body!).RootElement;
        Assert.Equal(("domain", "law", 3600), (sent.GetProperty("scope").GetString(), sent.GetProperty("domain").GetString(), sent.GetProperty("windowSeconds").GetInt32()));
        Assert.Contains("running 50%", created.Output);
        Assert.Contains("completed", created.Output);

        dp.Gateway.On($"GET /api/reports/{id}/content?format=csv", 200, "scope,domain,model_version\r\ndomain,law,1.0.0\r\n");
        var csv = await dp.RunAsync("reports", "download", id, "--format", "csv");
        Assert.Equal(0, csv.ExitCode);
        Assert.Equal("scope,domain,model_version\r\ndomain,law,1.0.0\r\n", csv.Output);

        var neither = await dp.RunAsync("reports", "create");
        Assert.Equal(ExitCodes.Usage, neither.ExitCode);
        Assert.Contains("--domain D", neither.Error);
    }
}
