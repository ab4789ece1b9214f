using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp experiments: experimentation's A/B/n tests, /api/experiments (create, start, status, analysis, conclude, list, show).</summary>
public static class ExperimentsCommands
{
    public static Command Build(CommandSupport support)
    {
        var experiments = new Command("experiments", "A/B/n experiments between a domain's versions.");
        experiments.Subcommands.Add(Create(support));
        experiments.Subcommands.Add(Start(support));
        experiments.Subcommands.Add(Status(support));
        experiments.Subcommands.Add(Analysis(support));
        experiments.Subcommands.Add(Conclude(support));
        experiments.Subcommands.Add(List(support));
        experiments.Subcommands.Add(Show(support));
        return experiments;
    }

    private static Argument<string> Id() => new("id") { Description = "The experiment's id." };

    private static Command Create(CommandSupport support)
    {
        var name = new Option<string>("--name") { Description = "A name (1-200 characters).", Required = true };
        var domain = new Option<string>("--domain") { Description = "The domain whose traffic is split.", Required = true };
        var variants = new Option<string[]>("--variant")
        {
            Description = "NAME=VERSION or NAME=VERSION:WEIGHT, control first (repeat, two or more; no weights = even split).",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var metric = new Option<string?>("--primary-metric") { Description = "The metric that decides, e.g. accuracy, latency_ms, error_rate." };
        var minSamples = new Option<long?>("--min-samples") { Description = "Samples per variant before a verdict (default 100)." };
        var method = new Option<string?>("--method") { Description = "frequentist, bayesian or sequential." };
        method.AcceptOnlyFromAmong("frequentist", "bayesian", "sequential");
        var deployWinner = new Option<bool?>("--deploy-winner") { Description = "Deploy the winner as stable when it concludes: true or false." };
        var set = new Option<string[]>("--set") { Description = "Any other field as PATH=VALUE, e.g. alpha=0.01 or successCriteria.minImprovement=0.05.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("create", "Create a draft experiment.") { name, domain, variants, metric, minSamples, method, deployWinner, set };
        support.Handle(command, async (run, ct) =>
        {
            var body = new JsonObject { ["name"] = run.Value(name), ["domain"] = run.Value(domain) };
            var list = new JsonArray();
            foreach (var variant in run.Value(variants) ?? [])
            {
                var (variantName, rest) = Values.Pair(variant, "--variant");
                var colon = rest.LastIndexOf(':');
                var entry = new JsonObject { ["name"] = variantName, ["modelVersion"] = colon < 0 ? rest : rest[..colon] };
                if (colon >= 0) entry["weight"] = Values.Number(rest[(colon + 1)..], "--variant " + variantName);
                list.Add(entry);
            }
            body["variants"] = list;
            Values.Put(body, "primaryMetric", run.Value(metric));
            Values.Put(body, "minSamples", run.Value(minSamples));
            Values.Put(body, "analysisMethod", run.Value(method));
            Values.Put(body, "deployWinner", run.Value(deployWinner));
            Values.Set(body, run.Value(set));
            return run.Show(await run.Api.PostAsync("api/experiments", body, ct), Details);
        });
        return command;
    }

    private static Command Start(CommandSupport support)
    {
        var id = Id();
        var command = new Command("start", "Start a draft: its arms take the domain's traffic.") { id };
        // The endpoint takes no body: none is sent.
        support.Handle(command, async (run, ct) => run.Show(await run.Api.PostAsync($"api/experiments/{ApiClient.Segment(run.Value(id))}/start", null, ct), Details));
        return command;
    }

    private static Command Status(CommandSupport support)
    {
        var id = Id();
        var command = new Command("status", "Status, phase, weights, running time and outcome.") { id };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync($"api/experiments/{ApiClient.Segment(run.Value(id))}/status", ct), s => Views.Stack(
                Views.Details(
                [
                    ("id", s.Str("id")),
                    ("domain", s.Str("domain")),
                    ("status", s.Str("status")),
                    ("phase", $"{s.Str("phase")} since {s.When("phaseStartedAt")}"),
                    ("running", Views.Seconds(s.Num("runningSeconds"))),
                    ("outcome", s.Str("outcome")),
                    ("winner", s.Str("winnerVariant")),
                    ("reason", s.Str("reason")),
                ]),
                VariantsTable(s))));
        return command;
    }

    private static Command Analysis(CommandSupport support)
    {
        var id = Id();
        var command = new Command("analysis", "Run the statistics on the current phase: per-variant figures, comparisons, the decision so far.") { id };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync($"api/experiments/{ApiClient.Segment(run.Value(id))}/analysis", ct), AnalysisView));
        return command;
    }

    private static Command Conclude(CommandSupport support)
    {
        var id = Id();
        var force = new Option<bool>("--force") { Description = "End it even without a decision (inconclusive, no winner)." };
        var reason = new Option<string?>("--reason") { Description = "Why." };
        var command = new Command("conclude", "End a running experiment with its winner (409 with the reason when the analysis has none, unless --force).")
        {
            id, force, reason,
        };
        support.Handle(command, async (run, ct) =>
        {
            var body = new JsonObject();
            if (run.Value(force)) body["force"] = true;
            Values.Put(body, "reason", run.Value(reason));
            // The answer is the analysis it concluded on.
            return run.Show(await run.Api.PostAsync($"api/experiments/{ApiClient.Segment(run.Value(id))}/conclude", body, ct), AnalysisView);
        });
        return command;
    }

    private static Command List(CommandSupport support)
    {
        var status = new Option<string?>("--status") { Description = "draft, running, stopped, concluded, rolled_back." };
        var domain = new Option<string?>("--domain") { Description = "Only this domain's." };
        var command = new Command("list", "Experiments, newest first.") { status, domain };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/experiments" + ApiClient.Query(("status", run.Value(status)), ("domain", run.Value(domain))), ct),
                list => Views.List(list, "experiments", Views.Table("ID", "NAME", "DOMAIN", "STATUS", "PHASE", "VARIANTS", "OUTCOME", "CREATED"),
                    (t, e) => t.Row(e.Str("id"), e.Str("name"), e.Str("domain"), e.Str("status"), e.Str("phase"),
                        string.Join(", ", e.Items("variants").Select(v => $"{v.Str("name")}={v.Str("modelVersion")}")), e.Str("outcome"), e.When("createdAt")))));
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var id = Id();
        var command = new Command("show", "One experiment's design and state.") { id };
        support.Handle(command, async (run, ct) => run.Show(await run.Api.GetAsync($"api/experiments/{ApiClient.Segment(run.Value(id))}", ct), Details));
        return command;
    }

    public static IRenderable AnalysisView(JsonElement a)
    {
        var comparisons = Views.Table("METRIC", "VARIANT", "CONTROL", "VALUE", "P", "SIGNIFICANT");
        foreach (var c in a.Items("comparisons"))
        {
            comparisons.Row(c.Str("metric"), c.Str("variant"), c.Str("controlEstimate"), c.Str("treatmentEstimate"),
                c.Str("adjustedPValue") is { Length: > 0 } p ? p : c.Str("pValue"), c.Str("significant"));
        }
        return Views.Stack(
            Views.Details(
            [
                ("experiment", a.Str("experimentId")),
                ("status", a.Str("status")),
                ("phase", a.Str("phase")),
                ("outcome", a.Str("outcome")),
                ("winner", a.Get("winner") is null ? "" : $"{a.Str("winner")} ({a.Str("winnerModelVersion")})"),
                ("reason", a.Str("reason")),
                ("method", a.Str("method")),
                ("samples needed", a.Str("requiredSamplesPerVariant") + " per variant"),
                ("sample ratio", a.Get("sampleRatio") is null ? "" : $"p = {a.Str("sampleRatio.pValue")} (mismatch below {a.Str("sampleRatio.threshold")})"),
            ]),
            a.Items("comparisons").Any() ? comparisons : null);
    }

    private static IRenderable VariantsTable(JsonElement e) =>
        Views.List(e.Get("variants") ?? default, "variants", Views.Table("VARIANT", "VERSION", "WEIGHT"),
            (t, v) => t.Row(v.Str("name"), v.Str("modelVersion"), v.Str("weight")));

    public static IRenderable Details(JsonElement e) => Views.Stack(
        Views.Details(
        [
            ("id", e.Str("id")),
            ("name", e.Str("name")),
            ("domain", e.Str("domain")),
            ("status", e.Str("status")),
            ("phase", e.Str("phase")),
            ("primary metric", e.Str("primaryMetric")),
            ("method", $"{e.Str("analysisMethod")} ({e.Str("correction")}), alpha {e.Str("alpha")}, power {e.Str("power")}, MDE {e.Str("minimumDetectableEffect")}"),
            ("min samples", e.Str("minSamples")),
            ("deploy winner", e.Str("deployWinner")),
            ("outcome", e.Str("outcome")),
            ("winner", e.Str("winnerVariant")),
            ("reason", e.Str("reason")),
            ("created", e.When("createdAt")),
            ("started", e.When("startedAt")),
            ("ended", e.When("endedAt")),
        ]),
        VariantsTable(e));
}
