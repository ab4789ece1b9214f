using System.Text.Json;
using DomainPlatform.Dp.Cli;

namespace DomainPlatform.Dp.Tests;

public sealed class FollowTests
{
    private static string Rollout(string status, int step, double weight, string decisions = "") => $$"""
        {"id":"r1","domain":"d1","baselineVersion":"1.0.0","candidateVersion":"1.1.0","steps":[1,10,50,100],"status":"{{status}}",
         "stepIndex":{{step}},"weightPercent":{{weight}},"lastReason":"x","updatedAt":"2026-12-01T12:00:0{{step}}Z","decisions":[{{decisions}}]}
        """;

    private const string Promote = """{"id":7,"action":"promote","verdict":null,"fromWeight":1,"toWeight":10,"reason":"promoted by hand","decidedAt":"2026-12-01T12:00:01Z"}""";
    private const string Rollback = """{"id":8,"action":"rollback","verdict":"rollback","fromWeight":10,"toWeight":0,"reason":"Roll back: latency","decidedAt":"2026-12-01T12:00:02Z"}""";

    [Fact]
    public async Task Following_a_rollout_prints_each_change_once_and_exits_0_when_it_succeeds()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/rollouts/r1", 200, Rollout("running", 0, 1))
            .On("GET /api/rollouts/r1", 200, Rollout("running", 0, 1))
            .On("GET /api/rollouts/r1", 200, Rollout("running", 1, 10, Promote))
            .On("GET /api/rollouts/r1", 200, Rollout("succeeded", 3, 100, Promote));
        var result = await dp.RunAsync("rollouts", "follow", "r1", "--interval", "0.05");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains("d1 1.0.0 -> 1.1.0: running step 1/4 canary 1%", lines[0]);
        Assert.Contains("promote: 1% -> 10%, promoted by hand", lines[1]);
        Assert.Contains("running step 2/4 canary 10%", lines[2]);
        Assert.Contains("succeeded step 4/4 canary 100%", lines[3]);
    }

    [Fact]
    public async Task A_rollout_that_ends_rolled_back_exits_4_and_json_prints_its_final_state()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/rollouts/r1", 200, Rollout("running", 1, 10)).On("GET /api/rollouts/r1", 200, Rollout("rolled_back", 1, 0, Rollback));
        var result = await dp.RunAsync("rollouts", "follow", "r1", "--interval", "0.05", "--json");
        Assert.Equal(ExitCodes.Unsuccessful, result.ExitCode);
        Assert.Equal("rolled_back", JsonDocument.Parse(result.Output).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_passing_server_error_while_following_is_said_and_the_next_look_tried_but_five_in_a_row_end_it()
    {
        using var dp = new DpRun();
        const string unavailable = """{"title":"Service Unavailable","status":503,"detail":"no healthy instance","service":"deployment"}""";
        dp.Gateway.On("GET /api/rollouts/r1", 200, Rollout("running", 0, 1))
            .On("GET /api/rollouts/r1", 503, unavailable)
            .On("GET /api/rollouts/r1", 200, Rollout("succeeded", 3, 100));
        var recovered = await dp.RunAsync("rollouts", "follow", "r1", "--interval", "0.05");
        Assert.Equal(0, recovered.ExitCode);
        Assert.Contains("503 Service Unavailable: no healthy instance (look 1 of 5 failed; trying again)", recovered.Error);

        using var down = new DpRun();
        down.Gateway.On("GET /api/training/jobs/j1", 200, Job("running", 0.5, "x")).On("GET /api/training/jobs/j1", 503, unavailable);
        var gaveUp = await down.RunAsync("train", "follow", "j1", "--interval", "0.05");
        Assert.Equal(ExitCodes.ApiError, gaveUp.ExitCode);
        Assert.Contains("look 4 of 5 failed", gaveUp.Error);
        Assert.Equal(6, down.Gateway.Requests.Count);
    }

    [Fact]
    public async Task On_a_terminal_the_rollout_is_drawn_live_until_it_ends()
    {
        using var dp = new DpRun { Terminal = true };
        dp.Gateway.On("GET /api/rollouts/r1", 200, Rollout("running", 0, 1))
            .On("GET /api/rollouts/r1", 200, Rollout("running", 1, 10, Promote))
            .On("GET /api/rollouts/r1", 200, Rollout("succeeded", 3, 100, Promote));
        var result = await dp.RunAsync("rollouts", "follow", "r1", "--interval", "0.05");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\u001b[", result.Output);
        Assert.Contains("rollout r1", result.Output);
        Assert.Contains("succeeded", result.Output);
        Assert.Contains("promoted by hand", result.Output);
        Assert.Contains("canary 1.1.0", result.Output);
    }

    [Fact]
    public async Task On_a_terminal_a_training_job_gets_a_progress_bar_and_its_result()
    {
        using var dp = new DpRun { Terminal = true };
        dp.Gateway.On("GET /api/training/jobs/j1", 200, Job("running", 0.4, "epoch 1/1: training batch 2/5"))
            .On("GET /api/training/jobs/j1", 200, Job("succeeded", 1, "done", ""","trainingLoss":3.9,"artifactPath":"/x/j1.gguf" """));
        var result = await dp.RunAsync("train", "follow", "j1", "--interval", "0.05");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\u001b[", result.Output);
        Assert.Contains("100%", result.Output);
        Assert.Contains("/x/j1.gguf", result.Output);
    }

    private static string Job(string state, double progress, string message, string extra = "") => $$"""
        {"id":"j1","domain":"d1","state":"{{state}}","progress":{{progress}},"epoch":1,"totalEpochs":1,"step":2,"totalSteps":5,
         "message":"{{message}}","updatedAt":"2026-12-01T12:00:00Z"{{extra}}}
        """;

    [Fact]
    public async Task Following_a_training_job_prints_its_progress_until_it_ends()
    {
        using var dp = new DpRun();
        dp.Gateway.On("POST /api/training/jobs", 202, Job("queued", 0, ""))
            .On("GET /api/training/jobs/j1", 200, Job("running", 0.4, "epoch 1/1: training batch 2/5, running loss 4.1"))
            .On("GET /api/training/jobs/j1", 200, Job("succeeded", 1, "done", ""","trainingLoss":3.9,"artifactPath":"/x/j1.gguf" """));
        var result = await dp.RunAsync("train", "start", "--dataset", "ds1", "--epochs", "2", "--follow", "--interval", "0.05");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("queued job j1", result.Output);
        Assert.Contains("running 40% d1: epoch 1/1: training batch 2/5, running loss 4.1", result.Output);
        Assert.Contains("succeeded 100% d1: done", result.Output);
        using var body = JsonDocument.Parse(dp.Gateway.Requests[0].Body!);
        Assert.Equal("ds1", body.RootElement.GetProperty("datasetId").GetString());
        Assert.Equal(2, body.RootElement.GetProperty("epochs").GetInt32());
        Assert.False(body.RootElement.TryGetProperty("learningRate", out _));
    }

    [Fact]
    public async Task A_failed_job_exits_4_with_its_error()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /api/training/jobs/j1", 200, Job("failed", 0.1, "", ""","error":"the dataset has 120 tokens; needs at least 321" """));
        var result = await dp.RunAsync("train", "follow", "j1");
        Assert.Equal(ExitCodes.Unsuccessful, result.ExitCode);
        Assert.Contains("error: the dataset has 120 tokens; needs at least 321", result.Output);
    }

    [Fact]
    public async Task Health_exits_0_when_the_gateway_and_every_service_answer_and_4_when_one_does_not()
    {
        using var dp = new DpRun();
        dp.Gateway.On("GET /health", 200, """{"status":"Healthy","checks":[{"name":"postgres","status":"Healthy","durationMs":3.2}]}""")
            .On("GET /api/openapi", 200, """[{"service":"gateway","path":"/openapi/v1.json"},{"service":"deployment","path":"/openapi/deployment/v1.json"},{"service":"training","path":"/openapi/training/v1.json"}]""")
            .On("GET /openapi/deployment/v1.json", 200, "{}")
            .On("GET /openapi/training/v1.json", 200, "{}")
            .On("GET /openapi/training/v1.json", 502, """{"title":"Bad Gateway","status":502}""");

        var healthy = await dp.RunAsync("health");
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("postgres", healthy.Output);
        Assert.Contains("answering", healthy.Output);

        var broken = await dp.RunAsync("health", "--json");
        Assert.Equal(ExitCodes.Unsuccessful, broken.ExitCode);
        var report = JsonDocument.Parse(broken.Output).RootElement;
        Assert.False(report.GetProperty("healthy").GetBoolean());
        Assert.Equal("502 Bad Gateway", report.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("service").GetString() == "training").GetProperty("status").GetString());
    }
}
