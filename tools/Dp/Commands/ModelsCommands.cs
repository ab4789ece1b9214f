using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp models: deployment's model registry, /api/models (register, list, show, compare, alias).</summary>
public static class ModelsCommands
{
    public static Command Build(CommandSupport support)
    {
        var models = new Command("models", "The model registry: versions, their metrics and aliases.");
        models.Subcommands.Add(Register(support));
        models.Subcommands.Add(List(support));
        models.Subcommands.Add(Show(support));
        models.Subcommands.Add(Compare(support));
        models.Subcommands.Add(Alias(support));
        return models;
    }

    private static Command Register(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain the version belongs to." };
        var file = new Argument<string>("file") { Description = "The GGUF file: a path the deployment service can read (made absolute here)." };
        var version = new Option<string?>("--version") { Description = "MAJOR.MINOR.PATCH; without it the registry bumps the highest." };
        var bump = new Option<string?>("--bump") { Description = "major, minor (the registry's default) or patch." };
        bump.AcceptOnlyFromAmong("major", "minor", "patch");
        var sha256 = new Option<string?>("--sha256") { Description = "The file's sha256 (computed here when the file is readable here)." };
        var metrics = new Option<string[]>("--metric") { Description = "An evaluation metric NAME=NUMBER (repeat), e.g. accuracy=0.91.", AllowMultipleArgumentsPerToken = false };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var baseVersion = new Option<string?>("--base-version") { Description = "Lineage: the version it was tuned from." };
        var trainingRun = new Option<string?>("--training-run") { Description = "Lineage: the training run (job id)." };
        var dataset = new Option<string?>("--dataset") { Description = "Lineage: the dataset id." };
        var set = new Option<string[]>("--set") { Description = "Any other field as PATH=VALUE, e.g. serving.parallelSlots=2.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("register", "Register a model version from a GGUF file (sha256 and size checked by the registry).")
        {
            domain, file, version, bump, sha256, metrics, tags, baseVersion, trainingRun, dataset, set,
        };
        support.Handle(command, async (run, ct) =>
        {
            var path = Path.GetFullPath(run.Value(file));
            var body = new JsonObject { ["artifactPath"] = path };
            if (run.Value(sha256) is { } given)
            {
                body["artifactSha256"] = given;
            }
            else if (File.Exists(path))
            {
                await using var stream = File.OpenRead(path);
                body["artifactSha256"] = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
                body["artifactSizeBytes"] = stream.Length;
            }
            else
            {
                throw new UsageException($"register: {path} is not readable here; give --sha256 of the file the deployment service reads");
            }
            Values.Put(body, "version", run.Value(version));
            Values.Put(body, "bump", run.Value(bump));
            if (run.Value(metrics) is { Length: > 0 } pairs)
            {
                var metricBody = new JsonObject();
                foreach (var pair in pairs)
                {
                    var (name, value) = Values.Pair(pair, "--metric");
                    metricBody[name] = Values.Number(value, "--metric " + name);
                }
                body["metrics"] = metricBody;
            }
            if (run.Value(tags) is { Length: > 0 } tagList) body["tags"] = new JsonArray(tagList.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            Values.Put(body, "baseVersion", run.Value(baseVersion));
            Values.Put(body, "trainingRunId", run.Value(trainingRun));
            Values.Put(body, "datasetId", run.Value(dataset));
            Values.Set(body, run.Value(set));
            var response = await run.Api.PostAsync($"api/models/{ApiClient.Segment(run.Value(domain))}/versions", body, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    private static Command List(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var command = new Command("list", "A domain's versions, highest first.") { domain };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync($"api/models/{ApiClient.Segment(run.Value(domain))}/versions", ct), Table));
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var version = new Argument<string>("version") { Description = "MAJOR.MINOR.PATCH." };
        var command = new Command("show", "One version with its artifact, metrics, gates and lineage.") { domain, version };
        support.Handle(command, async (run, ct) =>
            run.Show(await run.Api.GetAsync($"api/models/{ApiClient.Segment(run.Value(domain))}/versions/{ApiClient.Segment(run.Value(version))}", ct), Details));
        return command;
    }

    private static Command Compare(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var a = new Argument<string>("a") { Description = "The first version." };
        var b = new Argument<string>("b") { Description = "The second version." };
        var command = new Command("compare", "Two versions metric by metric: a, b, delta and relative change.") { domain, a, b };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.GetAsync(
                $"api/models/{ApiClient.Segment(run.Value(domain))}/compare" + ApiClient.Query(("a", run.Value(a)), ("b", run.Value(b))), ct);
            return run.Show(response, c => Views.List(c.Get("metrics") ?? default, "metrics in common",
                Views.Table("METRIC", c.Str("a"), c.Str("b"), "DELTA", "CHANGE"),
                (t, m) => t.Row(m.Str("metric"), m.Str("a"), m.Str("b"), m.Str("delta"),
                    m.Num("relativeChange") is { } change ? Views.Percent(Math.Round(change * 100, 2)) : "")));
        });
        return command;
    }

    private static Command Alias(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var alias = new Argument<string>("alias") { Description = "champion or a custom alias (stable and canary follow deployments)." };
        var version = new Argument<string?>("version") { Description = "The version to point it at (leave out with --remove).", Arity = ArgumentArity.ZeroOrOne };
        var remove = new Option<bool>("--remove") { Description = "Remove the alias instead." };
        var command = new Command("alias", "Point an alias at a version, or remove it.") { domain, alias, version, remove };
        support.Handle(command, async (run, ct) =>
        {
            var path = $"api/models/{ApiClient.Segment(run.Value(domain))}/aliases/{ApiClient.Segment(run.Value(alias))}";
            if (run.Value(remove))
            {
                if (run.Value(version) is not null) throw new UsageException("alias: give a version or --remove, not both");
                return run.Done(await run.Api.DeleteAsync(path, ct), $"removed alias {run.Value(alias)}");
            }
            var target = run.Value(version) ?? throw new UsageException("alias: give the version to point it at (or --remove)");
            var response = await run.Api.PutAsync(path, new { version = target }, ct);
            return run.Show(response, v => Views.Details([("alias", run.Value(alias)), ("version", v.Str("version")), ("aliases", v.Str("aliases"))]));
        });
        return command;
    }

    public static IRenderable Table(JsonElement list) =>
        Views.List(list, "versions", Views.Table("VERSION", "ALIASES", "GATES", "ACCURACY", "LATENCY MS", "TAGS", "REGISTERED"),
            (t, v) => t.Row(v.Str("version"), v.Str("aliases"), Gates(v),
                v.Str("metrics.accuracy"), v.Str("metrics.latency_ms"), v.Str("tags"), v.When("createdAt")));

    private static string Gates(JsonElement v) => v.Get("gatesPassed")?.ValueKind == JsonValueKind.True ? "passed" : "failed";

    public static IRenderable Details(JsonElement v) => Views.Details(
    [
        ("domain", v.Str("domain")),
        ("version", v.Str("version")),
        ("model id", v.Str("modelId")),
        ("aliases", v.Str("aliases")),
        ("artifact", v.Str("artifact.path")),
        ("sha256", v.Str("artifact.sha256")),
        ("size", v.Str("artifact.sizeBytes") is { Length: > 0 } size ? size + " bytes" : ""),
        ("metrics", Views.Pairs(v, "metrics")),
        ("gates", Gates(v) + (v.Str("gateReport") is { Length: > 0 } report ? $": {report}" : "")),
        ("serving", Views.Pairs(v, "serving")),
        ("lineage", Views.Pairs(v, "lineage")),
        ("tags", v.Str("tags")),
        ("registered", $"{v.When("createdAt")} by {v.Str("registeredBy")}"),
    ]);
}
