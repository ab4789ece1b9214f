using System.CommandLine;
using System.Text.Json;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp deploy (a version as stable, or a rollback to it) and dp deployments (what serves each domain).</summary>
public static class DeployCommands
{
    public static Command BuildDeploy(CommandSupport support)
    {
        var domain = new Argument<string>("domain") { Description = "The domain." };
        var version = new Argument<string>("version") { Description = "A registered version." };
        var rollback = new Option<string?>("--rollback") { Description = "Roll back to this version now, with this reason (instead of a first deployment)." };
        var command = new Command("deploy", "Serve a version on 100% of the domain's traffic at once (for a canary, use `dp rollouts start`).")
        {
            domain, version, rollback,
        };
        support.Handle(command, async (run, ct) =>
        {
            var path = $"api/deployments/{ApiClient.Segment(run.Value(domain))}";
            var response = run.Value(rollback) is { } reason
                ? await run.Api.PostAsync(path + "/rollback", new { version = run.Value(version), reason }, ct)
                : await run.Api.PostAsync(path + "/stable", new { version = run.Value(version) }, ct);
            return run.Show(response, Details);
        });
        return command;
    }

    public static Command BuildDeployments(CommandSupport support)
    {
        var domain = new Argument<string?>("domain") { Description = "One domain (leave out for all).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("deployments", "What serves each domain: stable, canary and its weight, the running rollout.") { domain };
        support.Handle(command, async (run, ct) =>
        {
            if (run.Value(domain) is { } one) return run.Show(await run.Api.GetAsync($"api/deployments/{ApiClient.Segment(one)}", ct), Details);
            return run.Show(await run.Api.GetAsync("api/deployments", ct), list => Views.List(list, "deployments",
                Views.Table("DOMAIN", "STABLE", "CANARY", "CANARY WEIGHT", "ROLLOUT", "UPDATED"),
                (t, d) => t.Row(d.Str("domain"), d.Str("stableVersion"), d.Str("canaryVersion"),
                    d.Get("canaryVersion") is null ? "" : Views.Percent(d.Num("canaryWeight")), d.Str("rolloutId"), d.When("updatedAt"))));
        });
        return command;
    }

    public static IRenderable Details(JsonElement d) => Views.Details(
    [
        ("domain", d.Str("domain")),
        ("stable", d.Str("stableVersion")),
        ("canary", d.Get("canaryVersion") is null ? "" : $"{d.Str("canaryVersion")} at {Views.Percent(d.Num("canaryWeight"))}"),
        ("rollout", d.Str("rolloutId")),
        ("updated", d.When("updatedAt")),
    ]);
}
