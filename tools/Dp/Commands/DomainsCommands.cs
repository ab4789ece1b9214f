using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp domains: deployment's /api/domains (create, update, archive, delete, list, show).</summary>
public static class DomainsCommands
{
    public static Command Build(CommandSupport support)
    {
        var domains = new Command("domains", "Business domains: their configuration and lifecycle.");
        domains.Subcommands.Add(List(support));
        domains.Subcommands.Add(Show(support));
        domains.Subcommands.Add(Create(support));
        domains.Subcommands.Add(Update(support));
        domains.Subcommands.Add(Archive(support));
        domains.Subcommands.Add(Delete(support));
        domains.Subcommands.Add(HealthScoreCommands.Health(support));
        domains.Subcommands.Add(HealthScoreCommands.Sla(support));
        return domains;
    }

    private static Command List(CommandSupport support)
    {
        var status = new Option<string?>("--status") { Description = "active or archived." };
        var team = new Option<string?>("--team") { Description = "Only this team's domains." };
        var layer = new Option<string?>("--layer") { Description = "Only this layer's domains." };
        var command = new Command("list", "List domains.") { status, team, layer };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.GetAsync("api/domains" + ApiClient.Query(("status", run.Value(status)), ("team", run.Value(team)), ("layer", run.Value(layer))), ct);
            return run.Show(response, Table);
        });
        return command;
    }

    private static Command Show(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var revisions = new Option<bool>("--revisions") { Description = "Every revision of its configuration instead." };
        var command = new Command("show", "One domain's configuration.") { id, revisions };
        support.Handle(command, async (run, ct) =>
        {
            var path = $"api/domains/{ApiClient.Segment(run.Value(id))}";
            if (run.Value(revisions))
            {
                var history = await run.Api.GetAsync(path + "/revisions", ct);
                return run.Show(history, list => Views.List(list, "revisions", Views.Table("REV", "STATUS", "NAME", "ACTOR", "CHANGED"),
                    (t, r) => t.Row(r.Str("revision"), r.Str("status"), r.Str("config.name"), r.Str("actor"), r.When("changedAt"))));
            }
            return run.Show(await run.Api.GetAsync(path, ct), Details);
        });
        return command;
    }

    /// <summary>The options create and update share; each sets its field only when given.</summary>
    private sealed class ConfigOptions
    {
        public Option<string?> Name { get; } = new("--name") { Description = "Display name (1-200 characters)." };
        public Option<string?> AgentId { get; } = new("--agent-id") { Description = "The agent id." };
        public Option<string?> Layer { get; } = new("--layer") { Description = "The layer." };
        public Option<string?> Team { get; } = new("--team") { Description = "The owning team." };
        public Option<string[]> Keywords { get; } = new("--keyword") { Description = "A routing keyword (repeat for several; replaces the list).", AllowMultipleArgumentsPerToken = false };
        public Option<string?> BaseModel { get; } = new("--base-model") { Description = "The base model." };
        public Option<int?> MaxTokens { get; } = new("--max-tokens") { Description = "Default and ceiling of max_tokens (1-32768)." };
        public Option<int?> MinSamples { get; } = new("--min-samples") { Description = "rollback.minSamples: samples a side before a canary is judged." };
        public Option<bool?> Cache { get; } = new("--cache") { Description = "The gateway's response cache for the domain: true or false." };
        public Option<int?> CacheTtl { get; } = new("--cache-ttl") { Description = "cache.ttlSeconds (0-604800)." };
        public Option<string[]> Set { get; } = new("--set") { Description = "Any other field as PATH=VALUE, e.g. gates.minAccuracy=0.9 or rollout.steps=[5,50,100].", AllowMultipleArgumentsPerToken = false };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Name, AgentId, Layer, Team, Keywords, BaseModel, MaxTokens, MinSamples, Cache, CacheTtl, Set }) command.Options.Add(option);
        }

        public JsonObject Body(Invocation run)
        {
            var body = new JsonObject();
            Values.Put(body, "name", run.Value(Name));
            Values.Put(body, "agentId", run.Value(AgentId));
            Values.Put(body, "layer", run.Value(Layer));
            Values.Put(body, "team", run.Value(Team));
            if (run.Value(Keywords) is { Length: > 0 } keywords) body["keywords"] = new JsonArray(keywords.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
            Values.Put(body, "baseModel", run.Value(BaseModel));
            Values.Put(body, "maxTokens", run.Value(MaxTokens));
            Values.Put(body, "rollback.minSamples", run.Value(MinSamples));
            Values.Put(body, "cache.enabled", run.Value(Cache));
            Values.Put(body, "cache.ttlSeconds", run.Value(CacheTtl));
            Values.Set(body, run.Value(Set));
            return body;
        }
    }

    private static Command Create(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The new domain's id, e.g. 0x5678-SQLAgent." };
        var config = new ConfigOptions();
        config.Name.Required = true;
        var command = new Command("create", "Create a domain (absent settings take the platform's defaults).") { id };
        config.AddTo(command);
        support.Handle(command, async (run, ct) =>
        {
            var body = config.Body(run);
            body["id"] = run.Value(id);
            var response = await run.Api.PostAsync("api/domains", body, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    private static Command Update(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var config = new ConfigOptions();
        var command = new Command("update", "Change part of a domain's configuration (a new revision).") { id };
        config.AddTo(command);
        support.Handle(command, async (run, ct) =>
        {
            var body = config.Body(run);
            if (body.Count == 0) throw new UsageException("update: nothing to change (give --name, --keyword, --set PATH=VALUE, ...)");
            var response = await run.Api.PatchAsync($"api/domains/{ApiClient.Segment(run.Value(id))}", body, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    private static Command Archive(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log).", Required = true };
        var command = new Command("archive", "Archive a domain: out of the route table, configuration frozen.") { id, reason };
        support.Handle(command, async (run, ct) =>
        {
            var response = await run.Api.PostAsync($"api/domains/{ApiClient.Segment(run.Value(id))}/archive", new { reason = run.Value(reason) }, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    private static Command Delete(CommandSupport support)
    {
        var id = new Argument<string>("id") { Description = "The domain's id." };
        var force = new Option<bool>("--force") { Description = "Delete an active domain too (never during a rollout)." };
        var command = new Command("delete", "Delete a domain (archived ones, or active ones with --force).") { id, force };
        support.Handle(command, async (run, ct) =>
        {
            var domain = run.Value(id);
            var response = await run.Api.DeleteAsync($"api/domains/{ApiClient.Segment(domain)}" + (run.Value(force) ? "?force=true" : ""), ct);
            return run.Done(response, $"deleted domain {domain}");
        });
        return command;
    }

    public static IRenderable Table(JsonElement list) =>
        Views.List(list, "domains", Views.Table("ID", "NAME", "STATUS", "REV", "TEAM", "KEYWORDS", "MAX TOKENS", "UPDATED"),
            (t, d) => t.Row(d.Str("id"), d.Str("config.name"), d.Str("status"), d.Str("revision"), d.Str("config.team"),
                d.Str("config.keywords"), d.Str("config.maxTokens"), d.When("updatedAt")));

    public static IRenderable Details(JsonElement d) => Views.Details(
    [
        ("id", d.Str("id")),
        ("name", d.Str("config.name")),
        ("status", d.Str("status") + (d.Get("archivedReason") is null ? "" : $" ({d.Str("archivedReason")}, {d.When("archivedAt")})")),
        ("revision", d.Str("revision")),
        ("agent", d.Str("config.agentId")),
        ("layer", d.Str("config.layer")),
        ("team", d.Str("config.team")),
        ("keywords", d.Str("config.keywords")),
        ("base model", d.Str("config.baseModel")),
        ("max tokens", d.Str("config.maxTokens")),
        ("gates", Views.Pairs(d, "config.gates")),
        ("rollback", Views.Pairs(d, "config.rollback")),
        ("rollout", Views.Pairs(d, "config.rollout")),
        ("cache", Views.Pairs(d, "config.cache")),
        ("created", d.When("createdAt")),
        ("updated", d.When("updatedAt")),
    ]);
}
