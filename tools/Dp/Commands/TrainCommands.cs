using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp train: training jobs, /api/training/jobs (start, follow, list, show, history, cancel).</summary>
public static class TrainCommands
{
    public static readonly string[] Ended = ["succeeded", "failed", "cancelled"];

    public static Command Build(CommandSupport support)
    {
        var train = new Command("train", "Fine-tuning jobs on a dataset extraction built.");
        train.Subcommands.Add(Start(support));
        train.Subcommands.Add(Follow(support));
        train.Subcommands.Add(List(support));
        train.Subcommands.Add(Show(support));
        train.Subcommands.Add(History(support));
        train.Subcommands.Add(Cancel(support));
        return train;
    }

    private static Command Start(CommandSupport support)
    {
        var dataset = new Option<string>("--dataset") { Description = "The dataset's id (`dp datasets list`).", Required = true };
        var epochs = new Option<int?>("--epochs") { Description = "1 to 1000 (default: the service's)." };
        var learningRate = new Option<double?>("--learning-rate") { Description = "1e-8 to 1 (default: the service's)." };
        var baseModel = new Option<string?>("--base-model") { Description = "Absolute path of the GGUF to start from (default: the service's)." };
        var follow = new Option<bool>("--follow") { Description = "Follow it with a progress bar until it ends (as `dp train follow`)." };
        var interval = RolloutsCommands.IntervalOption();
        var command = new Command("start", "Queue a training job on a dataset.") { dataset, epochs, learningRate, baseModel, follow, interval };
        support.Handle(command, async (run, ct) =>
        {
            var body = new JsonObject { ["datasetId"] = run.Value(dataset) };
            Values.Put(body, "epochs", run.Value(epochs));
            Values.Put(body, "learningRate", run.Value(learningRate));
            Values.Put(body, "baseModelPath", run.Value(baseModel));
            var response = await run.Api.PostAsync("api/training/jobs", body, ct);
            if (!run.Value(follow)) return run.Show(response, Details);
            if (!run.Json) run.Console.MarkupLine(Views.Escape($"queued job {response.Json.Str("id")}"));
            return await FollowAsync(run, response.Json.Str("id"), run.Value(interval), ct);
        });
        return command;
    }

    private static Command Follow(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var interval = RolloutsCommands.IntervalOption();
        var command = new Command("follow", "Watch a job until it ends: a progress bar on a terminal, a line per change otherwise. Exit 0 when it succeeds, 4 when it fails or is cancelled.")
        {
            id, interval,
        };
        support.Handle(command, (run, ct) => FollowAsync(run, run.Value(id), run.Value(interval), ct));
        return command;
    }

    private static Command List(CommandSupport support)
    {
        var state = new Option<string?>("--state") { Description = "queued, running, succeeded, failed or cancelled." };
        var domain = new Option<string?>("--domain") { Description = "Only this domain's." };
        var dataset = new Option<string?>("--dataset") { Description = "Only this dataset's." };
        var command = new Command("list", "Training jobs.") { state, domain, dataset };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/training/jobs" + ApiClient.Query(("state", run.Value(state)), ("domain", run.Value(domain)), ("datasetId", run.Value(dataset))), ct),
                list => Views.List(list, "training jobs", Views.Table("ID", "DOMAIN", "STATE", "PROGRESS", "EPOCH", "TRAIN LOSS", "VAL LOSS", "ACCURACY", "CREATED"),
                    (t, j) => t.Row(j.Str("id"), j.Str("domain"), j.Str("state"), Views.Percent(Math.Round((j.Num("progress") ?? 0) * 100, 1)),
                        $"{j.Str("epoch")}/{j.Str("totalEpochs")}", j.Str("trainingLoss"), j.Str("validationLoss"), j.Str("accuracy"), j.When("createdAt")))));
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var command = new Command("show", "One job: state, progress, losses, artifact, error.") { id };
        support.Handle(command, async (run, ct) => run.Show(await run.Api.GetAsync($"api/training/jobs/{ApiClient.Segment(run.Value(id))}", ct), Details));
        return command;
    }

    private static Command History(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var command = new Command("history", "A job's kept progress points, in step order: step, epoch, progress, losses, tokens/s, time.") { id };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync($"api/training/jobs/{ApiClient.Segment(run.Value(id))}/history", ct),
                history => Views.List(history.Get("points") ?? default, "progress points", Views.Table("STEP", "EPOCH", "PROGRESS", "TRAIN LOSS", "VAL LOSS", "TOKENS/S", "AT"),
                    (t, p) => t.Row(p.Str("step"), p.Str("epoch"), Views.Percent(Math.Round((p.Num("progress") ?? 0) * 100, 1)), p.Str("trainingLoss"),
                        p.Str("validationLoss"), p.Num("tokensPerSecond") is { } rate ? Math.Round(rate).ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
                        p.When("at")))));
        return command;
    }

    private static Command Cancel(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var command = new Command("cancel", "Cancel a queued job, or stop a running one at its next progress report.") { id };
        support.Handle(command, async (run, ct) => run.Show(await run.Api.PostAsync($"api/training/jobs/{ApiClient.Segment(run.Value(id))}/cancel", null, ct), Details));
        return command;
    }

    /// <summary>
    /// Polls the job until it ends. A terminal gets a progress bar (with the job's own message and ETA); anything else a
    /// line whenever the state, step or message changes. With --json the final job is printed as the API sent it.
    /// </summary>
    public static async Task<int> FollowAsync(Invocation run, string id, double intervalSeconds, CancellationToken ct)
    {
        if (!(intervalSeconds is >= 0.05 and <= 3600)) throw new UsageException("--interval is between 0.05 and 3600 seconds");
        var interval = TimeSpan.FromSeconds(intervalSeconds);
        var path = $"api/training/jobs/{ApiClient.Segment(id)}";
        var polling = new Polling(run, path, interval);
        var response = await run.Api.GetAsync(path, ct);
        if (!run.Json && run.Console.Profile.Capabilities.Interactive)
        {
            await run.Console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Views.Escape(Short(response.Json)), maxValue: 100);
                    while (true)
                    {
                        task.Value = (response.Json.Num("progress") ?? 0) * 100;
                        task.Description = Views.Escape(Short(response.Json));
                        if (Ended.Contains(response.Json.Str("state"))) break;
                        response = await polling.NextAsync(ct);
                    }
                    task.StopTask();
                });
            run.Console.Write(Details(response.Json));
        }
        else
        {
            string? last = null;
            while (true)
            {
                var line = $"{response.Json.Str("state")} {Views.Percent(Math.Round((response.Json.Num("progress") ?? 0) * 100, 1))} {Describe(response.Json)}";
                if (line != last && !run.Json) run.Console.WriteLine($"[{response.Json.When("updatedAt")}] {line}");
                last = line;
                if (Ended.Contains(response.Json.Str("state"))) break;
                response = await polling.NextAsync(ct);
            }
            if (!run.Json && response.Json.Get("error") is not null) run.Console.WriteLine($"error: {response.Json.Str("error")}");
        }
        if (run.Json) run.WriteJson(response);
        return response.Json.Str("state") == "succeeded" ? ExitCodes.Ok : ExitCodes.Unsuccessful;
    }

    /// <summary>The progress bar's label: short enough that the bar and the times keep their room on one line.</summary>
    private static string Short(JsonElement j)
    {
        var text = Describe(j);
        return text.Length <= 60 ? text : text[..59] + "…";
    }

    private static string Describe(JsonElement j)
    {
        var message = j.Str("message");
        var steps = j.Num("totalSteps") is > 0 ? $"step {j.Str("step")}/{j.Str("totalSteps")}" : "";
        var epoch = j.Num("totalEpochs") is > 0 ? $"epoch {j.Str("epoch")}/{j.Str("totalEpochs")}" : "";
        return $"{j.Str("domain")}: {(message.Length > 0 ? message : string.Join(' ', new[] { epoch, steps }.Where(s => s.Length > 0)))}";
    }

    public static IRenderable Details(JsonElement j) => Views.Details(
    [
        ("id", j.Str("id")),
        ("domain", j.Str("domain")),
        ("dataset", j.Str("datasetId")),
        ("state", j.Str("state")),
        ("trainer", j.Str("trainer")),
        ("progress", $"{Views.Percent(Math.Round((j.Num("progress") ?? 0) * 100, 1))}, epoch {j.Str("epoch")}/{j.Str("totalEpochs")}, step {j.Str("step")}/{j.Str("totalSteps")}"),
        ("message", j.Str("message")),
        ("epochs", j.Str("epochs")),
        ("learning rate", j.Str("learningRate")),
        ("base model", j.Str("baseModelPath")),
        ("training loss", j.Str("trainingLoss")),
        ("validation loss", j.Str("validationLoss")),
        ("accuracy", j.Str("accuracy")),
        ("latency ms", j.Str("latencyMs")),
        ("artifact", j.Str("artifactPath")),
        ("sha256", j.Str("artifactSha256")),
        ("error", j.Str("error")),
        ("created", j.When("createdAt")),
        ("started", j.When("startedAt")),
        ("finished", j.When("finishedAt")),
    ]);
}
