using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp sources and dp datasets: extraction's /api/sources and /api/datasets.</summary>
public static class DataCommands
{
    public static Command BuildSources(CommandSupport support)
    {
        var sources = new Command("sources", "The organisation's data: documents, tables and SQL queries, tagged with a domain.");

        var name = new Option<string>("--name") { Description = "A unique name.", Required = true };
        var domain = new Option<string?>("--domain") { Description = "The domain (else detected from the text)." };
        var text = new Option<string?>("--text") { Description = "A document's text." };
        var file = new Option<string?>("--file") { Description = "Read the document's text from this file (- for standard input)." };
        var description = new Option<string?>("--description") { Description = "What it is." };
        var add = new Command("add", "Add a document source (its domain detected unless given).") { name, domain, text, file, description };
        support.Handle(add, async (run, ct) =>
        {
            var content = (run.Value(text), run.Value(file)) switch
            {
                ({ } t, null) => t,
                (null, "-") => await Console.In.ReadToEndAsync(ct),
                (null, { } f) => await File.ReadAllTextAsync(f, ct),
                (null, null) => throw new UsageException("sources add: give --text or --file"),
                _ => throw new UsageException("sources add: give --text or --file, not both"),
            };
            var body = new JsonObject { ["name"] = run.Value(name), ["kind"] = "document", ["text"] = content };
            Values.Put(body, "domain", run.Value(domain));
            Values.Put(body, "description", run.Value(description));
            return run.Show(await run.Api.PostAsync("api/sources", body, ct), SourceDetails);
        });
        sources.Subcommands.Add(add);

        var listDomain = new Option<string?>("--domain") { Description = "Only this domain's." };
        var list = new Command("list", "List sources.") { listDomain };
        support.Handle(list, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/sources" + ApiClient.Query(("domain", run.Value(listDomain))), ct),
                l => Views.List(l, "sources", Views.Table("ID", "NAME", "KIND", "DOMAIN", "ORIGIN", "SCORE", "CREATED"),
                    (t, s) => t.Row(s.Str("id"), s.Str("name"), s.Str("kind"), s.Str("domain"), s.Str("domainOrigin"), s.Str("domainScore"), s.When("createdAt")))));
        sources.Subcommands.Add(list);
        return sources;
    }

    public static Command BuildDatasets(CommandSupport support)
    {
        var datasets = new Command("datasets", "Privacy-safe training sets built by extraction.");

        var domain = new Option<string?>("--domain") { Description = "Only this domain's." };
        var status = new Option<string?>("--status") { Description = "queued, building, ready, failed or refused." };
        var list = new Command("list", "List datasets (refused ones included).") { domain, status };
        support.Handle(list, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/datasets" + ApiClient.Query(("domain", run.Value(domain)), ("status", run.Value(status))), ct),
                l => Views.List(l, "datasets", Views.Table("ID", "NAME", "DOMAIN", "STATUS", "EXAMPLES", "REDACTIONS", "EPSILON", "CREATED"),
                    (t, d) => t.Row(d.Str("id"), d.Str("name"), d.Str("domain"), d.Str("status"), d.Str("exampleCount"), d.Str("redactions"), d.Str("epsilon"), d.When("createdAt")))));
        datasets.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "The dataset's id." };
        var show = new Command("show", "One dataset and its build status.") { id };
        support.Handle(show, async (run, ct) => run.Show(await run.Api.GetAsync($"api/datasets/{ApiClient.Segment(run.Value(id))}", ct), DatasetDetails));
        datasets.Subcommands.Add(show);

        var createDomain = new Option<string>("--domain") { Description = "The domain.", Required = true };
        var name = new Option<string>("--name") { Description = "A unique name.", Required = true };
        var sources = new Option<string[]>("--source") { Description = "A source id (repeat; default: every source of the domain).", AllowMultipleArgumentsPerToken = false };
        var epsilon = new Option<double?>("--epsilon") { Description = "The privacy budget this build spends (0.001 to 100)." };
        var create = new Command("create", "Queue a build; when it is ready, training queues a job on it by itself.") { createDomain, name, sources, epsilon };
        support.Handle(create, async (run, ct) =>
        {
            var body = new JsonObject { ["domain"] = run.Value(createDomain), ["name"] = run.Value(name) };
            if (run.Value(sources) is { Length: > 0 } ids) body["sourceIds"] = new JsonArray(ids.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            Values.Put(body, "epsilon", run.Value(epsilon));
            return run.Show(await run.Api.PostAsync("api/datasets", body, ct), DatasetDetails);
        });
        datasets.Subcommands.Add(create);
        return datasets;
    }

    private static IRenderable SourceDetails(JsonElement s) => Views.Details(
    [
        ("id", s.Str("id")),
        ("name", s.Str("name")),
        ("kind", s.Str("kind")),
        ("domain", s.Get("domain") is null ? "(none detected)" : $"{s.Str("domain")} ({s.Str("domainOrigin")}, score {s.Str("domainScore")})"),
        ("runner-up", s.Get("runnerUp") is null ? "" : $"{s.Str("runnerUp")} (score {s.Str("runnerUpScore")})"),
        ("created", s.When("createdAt")),
    ]);

    private static IRenderable DatasetDetails(JsonElement d) => Views.Details(
    [
        ("id", d.Str("id")),
        ("name", d.Str("name")),
        ("domain", d.Str("domain")),
        ("status", d.Str("status")),
        ("examples", d.Str("exampleCount")),
        ("redactions", d.Str("redactions")),
        ("epsilon", d.Str("epsilon")),
        ("sources", d.Str("sourceIds")),
        ("path", d.Str("path")),
        ("sha256", d.Str("sha256")),
        ("error", d.Str("error")),
        ("created", d.When("createdAt")),
        ("updated", d.When("updatedAt")),
    ]);
}
