using System.CommandLine;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Cli;
using DomainPlatform.Dp.Output;
using Spectre.Console;

namespace DomainPlatform.Dp.Commands;

/// <summary>dp login: checks a gateway URL and key and writes them to the config file (mode 0600).</summary>
public static class LoginCommand
{
    public static Command Build(CommandSupport support)
    {
        var command = new Command("login", "Check --url and --api-key against the gateway and keep them in the config file for later commands.");
        support.Handle(command, async (run, ct) =>
        {
            var connection = run.Connection;
            if (connection.ApiKey is null) throw new UsageException("login: give --api-key (or DP_API_KEY)");
            // What the key may read tells its role without an endpoint for it: keys are admin-only, domains need viewer or above.
            string role;
            try
            {
                await run.Api.GetAsync("api/keys", ct);
                role = "admin";
            }
            catch (ApiException e) when (e.Status == 403)
            {
                try
                {
                    await run.Api.GetAsync("api/domains", ct);
                    role = "operator or viewer";
                }
                catch (ApiException inner) when (inner.Status == 403)
                {
                    role = "client (inference only)";
                }
            }
            var path = run.ConfigPath;
            ConnectionResolver.WriteConfig(path, new DpConfigFile(connection.Url.ToString(), connection.ApiKey));
            var prefix = connection.ApiKey.Length > 12 ? connection.ApiKey[..12] + "..." : "...";
            if (run.Json) run.Context.Output.WriteLine($$"""{"url":"{{connection.Url}}","role":"{{role}}","config":"{{path.Replace("\\", "\\\\")}}"}""");
            else run.Console.MarkupLine(Views.Escape($"logged in to {connection.Url} with key {prefix} ({role}); saved to {path}"));
            return ExitCodes.Ok;
        });
        return command;
    }
}
