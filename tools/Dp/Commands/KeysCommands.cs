using System.CommandLine;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp keys: the gateway's API keys, /api/keys (admin only).</summary>
public static class KeysCommands
{
    public static Command Build(CommandSupport support)
    {
        var keys = new Command("keys", "API keys and their roles (needs an admin key).");

        var name = new Option<string>("--name") { Description = "Who or what uses it (it becomes the audit actor).", Required = true };
        var role = new Option<string>("--role") { Description = "admin, operator, viewer or client.", Required = true };
        role.AcceptOnlyFromAmong("admin", "operator", "viewer", "client");
        var create = new Command("create", "Create a key; its secret is shown this once.") { name, role };
        support.Handle(create, async (run, ct) =>
        {
            var response = await run.Api.PostAsync("api/keys", new { name = run.Value(name), role = run.Value(role) }, ct);
            return run.Show(response, k => Views.Details(
            [
                ("id", k.Str("id")),
                ("name", k.Str("name")),
                ("role", k.Str("role")),
                ("key", k.Str("key")),
                ("note", "the key is shown this once: store it now"),
            ]));
        });
        keys.Subcommands.Add(create);

        var includeRevoked = new Option<bool>("--include-revoked") { Description = "Revoked keys too." };
        var list = new Command("list", "List keys (never their secrets).") { includeRevoked };
        support.Handle(list, async (run, ct) =>
            run.Show(await run.Api.GetAsync("api/keys" + (run.Value(includeRevoked) ? "?includeRevoked=true" : ""), ct),
                l => Views.List(l, "keys", Views.Table("ID", "NAME", "ROLE", "PREFIX", "CREATED", "REVOKED"),
                    (t, k) => t.Row(k.Str("id"), k.Str("name"), k.Str("role"), k.Str("keyPrefix"), k.When("createdAt"), k.When("revokedAt")))));
        keys.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "The key's id." };
        var revoke = new Command("revoke", "Revoke a key (the last active admin key cannot be).") { id };
        support.Handle(revoke, async (run, ct) =>
            run.Done(await run.Api.DeleteAsync($"api/keys/{ApiClient.Segment(run.Value(id))}", ct), $"revoked key {run.Value(id)}"));
        keys.Subcommands.Add(revoke);
        return keys;
    }
}
