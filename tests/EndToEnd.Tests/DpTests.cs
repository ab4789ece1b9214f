using System.Text.Json;
using DomainPlatform.Dp.Cli;
using DomainPlatform.TestSupport;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>
/// Issue 14 part 4 on the real suite: `dp` drives the platform through the gateway's HTTP API alone. Each command runs
/// through dp's own command tree; tables are read as a person would, --json is parsed as a script would, and a refused
/// command exits non-zero with the API's problem details on stderr.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DpTests(PlatformFixture platform, CandidateModel candidate) : IClassFixture<CandidateModel>
{
    [Fact]
    public async Task Dp_creates_a_domain_registers_and_deploys_versions_and_follows_rollouts_experiments_and_keys_to_their_end()
    {
        using var dp = new DpSession(platform, "dp-rollout");
        var domain = GatewayApi.NewDomainId("DpAgent");

        var health = await dp.OkAsync("health");
        Assert.Contains("healthy", health.Output);
        foreach (var service in new[] { "deployment", "experimentation", "extraction", "training", "inference" }) Assert.Contains(service, health.Output);

        // A domain: created, listed as JSON, changed (a new revision).
        await dp.OkAsync("domains", "create", domain, "--name", "dp end-to-end", "--keyword", "dpcli", "--min-samples", "2", "--cache", "false");
        var listed = (await dp.OkAsync("domains", "list", "--json")).Json;
        Assert.Contains(listed.EnumerateArray(), d => d.GetProperty("id").GetString() == domain);
        var updated = (await dp.OkAsync("domains", "update", domain, "--team", "platform", "--json")).Json;
        Assert.Equal(2, updated.GetProperty("revision").GetInt32());
        Assert.Equal("platform", updated.GetProperty("config").GetProperty("team").GetString());
        var shown = await dp.OkAsync("domains", "show", domain);
        Assert.Contains("platform", shown.Output);
        Assert.Contains("minSamples 2", shown.Output);

        // Versions: the demo model and a second tiny model, registered from their files (dp hashes them).
        string[] metrics = ["--metric", "accuracy=0.9", "--metric", "latency_ms=50", "--metric", "training_loss=0.1", "--metric", "validation_loss=0.2"];
        var first = (await dp.OkAsync(["models", "register", domain, GatewayApi.DemoModelPath, "--version", "1.0.0", .. metrics, "--json"])).Json;
        Assert.True(first.GetProperty("gatesPassed").GetBoolean(), first.GetProperty("gateReport").GetString());
        await dp.OkAsync(["models", "register", domain, candidate.Path, "--version", "1.1.0", "--tag", "candidate", .. metrics]);
        var versions = (await dp.OkAsync("models", "list", domain, "--json")).Json;
        Assert.Equal(["1.1.0", "1.0.0"], versions.EnumerateArray().Select(v => v.GetProperty("version").GetString()!).ToArray());
        var compared = await dp.OkAsync("models", "compare", domain, "1.0.0", "1.1.0");
        Assert.Contains("accuracy", compared.Output);
        await dp.OkAsync("models", "alias", domain, "champion", "1.0.0");
        Assert.Contains("champion", (await dp.OkAsync("models", "show", domain, "1.0.0")).Output);
        await dp.OkAsync("models", "alias", domain, "champion", "--remove");
        Assert.Empty((await dp.OkAsync("models", "show", domain, "1.0.0", "--json")).Json.GetProperty("aliases").EnumerateArray());
        Assert.Equal(new[] { 1, 2 }, (await dp.OkAsync("domains", "show", domain, "--revisions", "--json")).Json.EnumerateArray()
            .Select(r => r.GetProperty("revision").GetInt32()).Order().ToArray());

        // Deploy 1.0.0, then roll 1.1.0 out. The step lasts an hour, so only dp's commands move it: weight, pause,
        // resume and promote, while `dp rollouts follow` watches in parallel until the rollout succeeds.
        await dp.OkAsync("deploy", domain, "1.0.0");
        Assert.Equal("1.0.0", (await dp.OkAsync("deployments", domain, "--json")).Json.GetProperty("stableVersion").GetString());
        var rollout = (await dp.OkAsync("rollouts", "start", domain, "1.1.0", "--steps", "10,50,100", "--min-step-seconds", "3600", "--json")).Json;
        var id = rollout.GetProperty("id").GetString()!;
        Assert.Equal(10, rollout.GetProperty("weightPercent").GetDouble());
        var follow = dp.RunAsync("rollouts", "follow", id, "--interval", "0.5");

        Assert.Equal(30, (await dp.OkAsync("rollouts", "weight", id, "30", "--reason", "dp: a larger first look", "--json")).Json.GetProperty("weightPercent").GetDouble());
        Assert.Equal("paused", (await dp.OkAsync("rollouts", "pause", id, "--json")).Json.GetProperty("status").GetString());
        Assert.Equal("running", (await dp.OkAsync("rollouts", "resume", id, "--json")).Json.GetProperty("status").GetString());
        Assert.Equal(50, (await dp.OkAsync("rollouts", "promote", id, "--reason", "dp: looks fine", "--json")).Json.GetProperty("weightPercent").GetDouble());
        Assert.Equal("succeeded", (await dp.OkAsync("rollouts", "promote", id, "--json")).Json.GetProperty("status").GetString());

        var followed = await follow;
        Assert.True(followed.ExitCode == 0, followed.Output + followed.Error);
        Assert.Contains("running step 1/3 canary 10%", followed.Output);
        Assert.Contains("setweight", followed.Output);
        Assert.Contains("dp: looks fine", followed.Output);
        Assert.Contains("succeeded", followed.Output);
        Assert.Equal("1.1.0", (await dp.OkAsync("deployments", domain, "--json")).Json.GetProperty("stableVersion").GetString());
        Assert.Contains(domain, (await dp.OkAsync("deployments")).Output);
        Assert.Contains(id, (await dp.OkAsync("rollouts", "list", "--domain", domain)).Output);
        Assert.Contains("promote", (await dp.OkAsync("rollouts", "show", id)).Output);

        // A refused command: exit 1, the API's problem details on stderr, nothing on stdout.
        var refused = await dp.RunAsync("rollouts", "promote", id);
        Assert.Equal(ExitCodes.ApiError, refused.ExitCode);
        Assert.Empty(refused.Output);
        Assert.Contains($"POST /api/rollouts/{id}/promote: 409", refused.Error);
        var unknown = await dp.RunAsync("domains", "show", domain + "-nope");
        Assert.Equal(ExitCodes.ApiError, unknown.ExitCode);
        Assert.Contains("404", unknown.Error);

        // A second rollout, aborted: its follower ends with exit 4.
        var second = (await dp.OkAsync("rollouts", "start", domain, "1.0.0", "--min-step-seconds", "3600", "--json")).Json.GetProperty("id").GetString()!;
        var secondFollow = dp.RunAsync("rollouts", "follow", second, "--interval", "0.5");
        Assert.Equal("aborted", (await dp.OkAsync("rollouts", "abort", second, "--reason", "dp: changed my mind", "--json")).Json.GetProperty("status").GetString());
        var aborted = await secondFollow;
        Assert.Equal(ExitCodes.Unsuccessful, aborted.ExitCode);
        Assert.Contains("aborted", aborted.Output);

        // An experiment between the two versions: created, started, its status read, refused a conclusion without a
        // winner (409 with the reason), then concluded by force.
        var experiment = (await dp.OkAsync("experiments", "create", "--name", "dp a/b", "--domain", domain, "--variant", "control=1.1.0",
            "--variant", "b=1.0.0", "--primary-metric", "latency_ms", "--json")).Json.GetProperty("id").GetString()!;
        Assert.Equal("running", (await dp.OkAsync("experiments", "start", experiment, "--json")).Json.GetProperty("status").GetString());
        var status = await dp.OkAsync("experiments", "status", experiment);
        Assert.Contains("running", status.Output);
        Assert.Contains("control", status.Output);
        Assert.Contains("continue", (await dp.OkAsync("experiments", "analysis", experiment)).Output);
        Assert.Contains(experiment, (await dp.OkAsync("experiments", "list", "--domain", domain)).Output);
        var early = await dp.RunAsync("experiments", "conclude", experiment);
        Assert.Equal(ExitCodes.ApiError, early.ExitCode);
        Assert.Contains("409", early.Error);
        Assert.Contains("no winner to conclude with", early.Error);
        await dp.OkAsync("experiments", "conclude", experiment, "--force", "--reason", "dp: end of the test");
        Assert.Equal("concluded", (await dp.OkAsync("experiments", "status", experiment, "--json")).Json.GetProperty("status").GetString());

        // Keys: a viewer key reads but may not change anything, and is refused once revoked.
        var key = (await dp.OkAsync("keys", "create", "--name", $"dp-viewer-{domain}", "--role", "viewer", "--json")).Json;
        var secret = key.GetProperty("key").GetString()!;
        Assert.Equal(0, (await dp.RunAsync("domains", "list", "--api-key", secret)).ExitCode);
        var forbidden = await dp.RunAsync("domains", "archive", domain, "--reason", "x", "--api-key", secret);
        Assert.Equal(ExitCodes.ApiError, forbidden.ExitCode);
        Assert.Contains("403", forbidden.Error);
        Assert.Contains(key.GetProperty("id").GetString()!, (await dp.OkAsync("keys", "list")).Output);
        await dp.OkAsync("keys", "revoke", key.GetProperty("id").GetString()!);
        var revoked = await Eventually.GetAsync(() => dp.RunAsync("domains", "list", "--api-key", secret), r => r.ExitCode != 0, "the revoked key to be refused");
        Assert.Contains("401", revoked.Error);

        // Done with the domain: archived, then deleted.
        Assert.Equal("archived", (await dp.OkAsync("domains", "archive", domain, "--reason", "dp: end of the test", "--json")).Json.GetProperty("status").GetString());
        await dp.OkAsync("domains", "delete", domain);
        Assert.Equal(ExitCodes.ApiError, (await dp.RunAsync("domains", "show", domain)).ExitCode);
    }

    [Fact]
    public async Task Dp_adds_a_source_builds_a_dataset_and_follows_a_training_job_of_the_demo_model_to_its_end()
    {
        using var dp = new DpSession(platform, "dp-training");
        var domain = GatewayApi.NewDomainId("DpTrain");
        // Five sentences: four examples (one per pair of consecutive sentences), about 540 tokens of the demo model: a few
        // training windows of 256 (it needs at least 321 tokens), so the fine-tuning ends in a minute or two.
        var text = string.Join(' ', Enumerable.Range(1, 5).Select(i =>
            $"Order {i} was shipped to the warehouse in zone {i * 3} after the customer confirmed the invoice number {1000 + i} by phone."));
        var source = (await dp.OkAsync("sources", "add", "--name", $"orders-{domain}", "--domain", domain, "--text", text, "--json")).Json;
        Assert.Equal(domain, source.GetProperty("domain").GetString());
        Assert.Contains($"orders-{domain}", (await dp.OkAsync("sources", "list", "--domain", domain)).Output);

        var dataset = (await dp.OkAsync("datasets", "create", "--domain", domain, "--name", $"set-{domain}", "--json")).Json.GetProperty("id").GetString()!;
        var ready = await Eventually.GetAsync(() => dp.OkAsync("datasets", "show", dataset, "--json"),
            r => r.Json.GetProperty("status").GetString() is "ready" or "failed", "the dataset to be built");
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
        Assert.Contains(dataset, (await dp.OkAsync("datasets", "list", "--domain", domain)).Output);
        // Training knows the dataset once its DatasetReady arrived: it queues a job of its own on it.
        await Eventually.GetAsync(() => dp.OkAsync("train", "list", "--dataset", dataset, "--json"), r => r.Json.GetArrayLength() > 0,
            "training to hear of the dataset");

        var trained = await dp.RunAsync("train", "start", "--dataset", dataset, "--epochs", "1", "--follow", "--interval", "1");
        Assert.True(trained.ExitCode == 0, trained.Output + trained.Error);
        Assert.Contains("queued job", trained.Output);
        Assert.Contains("running", trained.Output);
        Assert.Contains("succeeded 100%", trained.Output);
        var job = trained.Output.Split('\n')[0].Split(' ')[^1].Trim();
        var shown = (await dp.OkAsync("train", "show", job, "--json")).Json;
        Assert.Equal("succeeded", shown.GetProperty("state").GetString());
        Assert.True(File.Exists(shown.GetProperty("artifactPath").GetString()));
        Assert.Contains(job, (await dp.OkAsync("train", "list", "--domain", domain)).Output);
        // A finished job cannot be cancelled: 409 from training, exit 1.
        var cancel = await dp.RunAsync("train", "cancel", job);
        Assert.Equal(ExitCodes.ApiError, cancel.ExitCode);
        Assert.Contains("409", cancel.Error);
    }
}
