using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp rollouts: canary rollouts, /api/rollouts (start, list, show, follow, promote, pause, resume, abort, weight).</summary>
public static class RolloutsCommands
{
    /// <summary>Rollout statuses after which nothing more happens.</summary>
    public static readonly string[] Ended = ["succeeded", "rolled_back", "aborted"];

    public static Command Build(CommandSupport support)
    {
        var rollouts = new Command("rollouts", "Canary rollouts: traffic moved step by step on experimentation's verdicts.");
        rollouts.Subcommands.Add(Start(support));
        rollouts.Subcommands.Add(List(support));
        rollouts.Subcommands.Add(Show(support));
        rollouts.Subcommands.Add(Follow(support));
        foreach (var (name, what) in new[]
        {
            ("promote", "Move to the next step now (or complete at 100%), without waiting for the analysis."),
            ("pause", "Keep the current weights; the controller stops analysing it."),
            ("resume", "Resume a paused rollout (its step's clock restarts)."),
            ("abort", "Send all traffic back to the stable version."),
        })
        {
            rollouts.Subcommands.Add(Control(support, name, what));
        }
        rollouts.Subcommands.Add(Weight(support));
        return rollouts;
    }

    public static Option<double> IntervalOption() => new("--interval")
    {
        Description = "Seconds between two looks while following (default 2).",
        DefaultValueFactory = _ => 2,
    };

    private static Command Start(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var version = new Argument<string>("version") { Description = "The registered candidate version." };
        var steps = new Option<string?>("--steps") { Description = "Traffic percentages, rising, ending at 100, e.g. 1,10,50,100 (else the domain's, else the platform's)." };
        var minStep = new Option<double?>("--min-step-seconds") { Description = "Shortest step, 0 to 604800 seconds." };
        var minSamples = new Option<long?>("--min-samples") { Description = "Samples a side each step needs (2 to 1,000,000,000)." };
        var firstWeight = new Option<double?>("--first-weight") { Description = "Start at this weight (above 0, below 100), then the steps above it." };
        var follow = new Option<bool>("--follow") { Description = "Follow it until it ends (as `dp rollouts follow`)." };
        var interval = IntervalOption();
        var command = new Command("start", "Start a canary rollout of a version against the stable one.")
        {
            domain, version, steps, minStep, minSamples, firstWeight, follow, interval,
        };
        support.Handle(command, async (run, ct) =>
        {
            var body = new JsonObject { ["domain"] = run.Value(domain), ["version"] = run.Value(version) };
            if (Values.Numbers(run.Value(steps), "--steps") is { } list) body["steps"] = new JsonArray(list.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            Values.Put(body, "minStepSeconds", run.Value(minStep));
            Values.Put(body, "minSamples", run.Value(minSamples));
            Values.Put(body, "firstWeight", run.Value(firstWeight));
            var response = await run.Api.PostAsync("api/rollouts", body, ct);
            if (!run.Value(follow)) return run.Show(response, Details);
            if (!run.Json) run.Console.MarkupLine(Views.Escape($"started rollout {response.Json.Str("id")}"));
            return await FollowAsync(run, response.Json.Str("id"), run.Value(interval), ct);
        });
        return command;
    }

    private static Command List(CommandSupport support)
    {
        var domain = new Option<string?>("--domain") { Description = "Only this domain's." };
        var status = new Option<string?>("--status") { Description = "running, paused, succeeded, rolled_back or aborted (any spelling)." };
        var command = new Command("list", "Rollouts, newest first.") { domain, status };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/rollouts" + ApiClient.Query(("domain", run.Value(domain)), ("status", run.Value(status))), ct), Table));
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The rollout's id." };
        var command = new Command("show", "One rollout with every decision and the figures behind it.") { id };
        support.Handle(command, async (run, ct) => run.Show(await run.Api.GetAsync($"api/rollouts/{ApiClient.Segment(run.Value(id))}", ct), Details));
        return command;
    }

    private static Command Follow(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The rollout's id." };
        var interval = IntervalOption();
        var command = new Command("follow", "Watch a rollout until it ends: live on a terminal, a line per change otherwise. Exit 0 when it succeeds, 4 when rolled back or aborted.")
        {
            id, interval,
        };
        support.Handle(command, (run, ct) => FollowAsync(run, run.Value(id), run.Value(interval), ct));
        return command;
    }

    private static Command Control(CommandSupport support, string name, string description)
    {
        var id = new Argument<string>("id") { Description = "The rollout's id." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the decision and in the audit log)." };
        var command = new Command(name, description) { id, reason };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.PostAsync($"api/rollouts/{ApiClient.Segment(run.Value(id))}/{name}", new { reason = run.Value(reason) }, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    private static Command Weight(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The rollout's id." };
        var weight = new Argument<double>("weight") { Description = "The canary's share in percent (above 0, below 100)." };
        var reason = new Option<string?>("--reason") { Description = "Why." };
        var command = new Command("weight", "Set the canary's weight now: a new analysis phase starts.") { id, weight, reason };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.PostAsync($"api/rollouts/{ApiClient.Segment(run.Value(id))}/weight", new { weight = run.Value(weight), reason = run.Value(reason) }, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    /// <summary>
    /// Polls the rollout until its status is one of <see cref="ended"/>. A terminal gets a live view that redraws in place;
    /// anything else (a pipe, a log, a test) gets one line per status or step change and per new decision.
    /// With --json the final rollout is printed as the API sent it.
    /// </summary>
    public static async Task<int> FollowAsync(Invocation run, string id, double intervalSeconds, CancellationToken ct)
    {
        if (!(intervalSeconds is >= 0.05 and <= 3600)) throw new UsageException("--interval is between 0.05 and 3600 seconds");
        var interval = TimeSpan.FromSeconds(intervalSeconds);
        var path = $"api/rollouts/{ApiClient.Segment(id)}";
        var polling = new Polling(run, path, interval);
        var response = await run.Api.GetAsync(path, ct);
        if (!run.Json && run.Console.Profile.Capabilities.Interactive)
        {
            await run.Console.Live(Live(response.Json)).AutoClear(false).StartAsync(async live =>
            {
                while (!IsEnded(response.Json))
                {
                    response = await polling.NextAsync(ct);
                    live.UpdateTarget(Live(response.Json));
                }
            });
        }
        else
        {
            // With --json only the final state is printed, so the output stays one JSON document.
            var printer = run.Json ? null : new ChangePrinter(run);
            printer?.Print(response.Json);
            while (!IsEnded(response.Json))
            {
                response = await polling.NextAsync(ct);
                printer?.Print(response.Json);
            }
        }
        if (run.Json) run.WriteJson(response);
        return response.Json.Str("status") == "succeeded" ? ExitCodes.Ok : ExitCodes.Unsuccessful;
    }

    public static bool IsEnded(JsonElement rollout) => Ended.Contains(rollout.Str("status"));

    /// <summary>The non-interactive follow: what changed since the last look, one line each.</summary>
    private sealed class ChangePrinter(Invocation run)
    {
        private string? lastState;
        private readonly HashSet<string> seenDecisions = [];

        public void Print(JsonElement r)
        {
            foreach (var decision in r.Items("decisions").OrderBy(d => d.Num("id") ?? 0))
            {
                if (!seenDecisions.Add(decision.Str("id"))) continue;
                Line(decision.When("decidedAt"), $"{decision.Str("action")}{(decision.Get("verdict") is null ? "" : " (" + decision.Str("verdict") + ")")}: " +
                    $"{Views.Percent(decision.Num("fromWeight"))} -> {Views.Percent(decision.Num("toWeight"))}, {decision.Str("reason")}");
            }
            var state = $"{r.Str("status")} step {StepText(r)} canary {Views.Percent(r.Num("weightPercent"))}";
            if (state == lastState) return;
            lastState = state;
            var estimate = r.Num("estimatedStepSeconds") is { } seconds ? $", step needs about {Views.Seconds(seconds)}" : "";
            Line(r.When("updatedAt"), $"{r.Str("domain")} {r.Str("baselineVersion")} -> {r.Str("candidateVersion")}: {state}{estimate}");
        }

        private void Line(string when, string text) => run.Console.WriteLine($"[{when}] {text}");
    }

    private static string StepText(JsonElement r) => $"{(int)(r.Num("stepIndex") ?? 0) + 1}/{r.Items("steps").Count()}";

    private static IRenderable Live(JsonElement r)
    {
        var weight = r.Num("weightPercent") ?? 0;
        var chart = new BreakdownChart().Width(60).ShowPercentage()
            .AddItem($"stable {r.Str("baselineVersion")}", Math.Round(100 - weight, 2), Color.Blue)
            .AddItem($"canary {r.Str("candidateVersion")}", Math.Round(weight, 2), Color.Yellow);
        var steps = string.Join("  ", r.Items("steps").Select((s, i) => i == (int)(r.Num("stepIndex") ?? 0) ? $"[{Json.Format(s)}%]" : $"{Json.Format(s)}%"));
        var decisions = Views.Table("DECIDED", "ACTION", "VERDICT", "WEIGHT", "REASON");
        foreach (var d in r.Items("decisions").OrderByDescending(d => d.Num("id") ?? 0).Take(6))
        {
            decisions.Row(d.When("decidedAt"), d.Str("action"), d.Str("verdict"), $"{Views.Percent(d.Num("fromWeight"))} -> {Views.Percent(d.Num("toWeight"))}", d.Str("reason"));
        }
        var header = $"rollout {r.Str("id")}  {r.Str("domain")}  {r.Str("baselineVersion")} -> {r.Str("candidateVersion")}  {r.Str("status")}";
        return new Panel(Views.Stack(
                new Text($"steps {steps}   step {StepText(r)} since {r.When("stepStartedAt")}" +
                    (r.Num("estimatedStepSeconds") is { } s ? $", needs about {Views.Seconds(s)}" : "")),
                chart,
                new Text(r.Str("lastReason")),
                r.Get("estimateWarning") is null ? null : new Text(r.Str("estimateWarning"), new Style(Color.Yellow)),
                decisions))
            .Header(Views.Escape(header))
            .Border(BoxBorder.Rounded);
    }

    public static IRenderable Table(JsonElement list) =>
        Views.List(list, "rollouts", Views.Table("ID", "DOMAIN", "BASELINE", "CANDIDATE", "STATUS", "STEP", "CANARY", "STARTED"),
            (t, r) => t.Row(r.Str("id"), r.Str("domain"), r.Str("baselineVersion"), r.Str("candidateVersion"), r.Str("status"),
                StepText(r), Views.Percent(r.Num("weightPercent")), r.When("createdAt")));

    public static IRenderable Details(JsonElement r)
    {
        var decisions = Views.Table("DECIDED", "ACTION", "VERDICT", "WEIGHT", "REASON", "BY");
        foreach (var d in r.Items("decisions").OrderBy(d => d.Num("id") ?? 0))
        {
            decisions.Row(d.When("decidedAt"), d.Str("action"), d.Str("verdict"), $"{Views.Percent(d.Num("fromWeight"))} -> {Views.Percent(d.Num("toWeight"))}",
                d.Str("reason"), d.Str("actor"));
        }
        return Views.Stack(
            Views.Details(
            [
                ("id", r.Str("id")),
                ("domain", r.Str("domain")),
                ("versions", $"{r.Str("baselineVersion")} -> {r.Str("candidateVersion")}"),
                ("status", r.Str("status")),
                ("steps", string.Join(", ", r.Items("steps").Select(s => Json.Format(s) + "%"))),
                ("step", $"{StepText(r)} since {r.When("stepStartedAt")}"),
                ("canary weight", Views.Percent(r.Num("weightPercent")) + (r.Get("manualWeight") is null ? "" : " (set by hand)")),
                ("min step", Views.Seconds(r.Num("minStepSeconds"))),
                ("min samples", r.Str("minSamples")),
                ("estimate", r.Num("estimatedStepSeconds") is { } s ? $"{Views.Seconds(s)} ({r.Str("estimateReason")})" : r.Str("estimateReason")),
                ("warning", r.Str("estimateWarning")),
                ("last reason", r.Str("lastReason")),
                ("started", $"{r.When("createdAt")} by {r.Str("startedBy")}"),
            ]),
            r.Items("decisions").Any() ? decisions : null);
    }
}
