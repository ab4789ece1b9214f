using System.CommandLine;
using System.CommandLine.Invocation;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Commands;

namespace DomainPlatform.Dp.Cli;

/// <summary>The command tree and how a run of it ends: output, exit code, and the API's message on stderr.</summary>
public static class DpCli
{
    public static Task<int> RunAsync(string[] args, DpEnvironment environment) =>
        RunAsync(args, DpContext.ForTerminal(environment), CancellationToken.None);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, DpContext context, CancellationToken ct)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = context.Output, Error = context.Error };
        var code = await parse.InvokeAsync(invocation, ct);
        // A parse error (unknown command, missing argument) is a usage mistake, not a refusal by the API.
        return parse.Errors.Count > 0 && parse.Action is ParseErrorAction ? ExitCodes.Usage : code;
    }

    public static RootCommand BuildRoot(DpContext context)
    {
        var options = new GlobalOptions();
        var support = new CommandSupport(context, options);
        var root = new RootCommand("dp: DomainPlatform from the command line, through the gateway's HTTP API with an API key.");
        foreach (var option in options.All) root.Options.Add(option);
        root.Subcommands.Add(LoginCommand.Build(support));
        root.Subcommands.Add(HealthCommand.Build(support));
        root.Subcommands.Add(DomainsCommands.Build(support));
        root.Subcommands.Add(ModelsCommands.Build(support));
        root.Subcommands.Add(DeployCommands.BuildDeploy(support));
        root.Subcommands.Add(DeployCommands.BuildDeployments(support));
        root.Subcommands.Add(RolloutsCommands.Build(support));
        root.Subcommands.Add(ExperimentsCommands.Build(support));
        root.Subcommands.Add(TrainCommands.Build(support));
        root.Subcommands.Add(DataCommands.BuildSources(support));
        root.Subcommands.Add(DataCommands.BuildDatasets(support));
        root.Subcommands.Add(KeysCommands.Build(support));
        root.Subcommands.Add(ReportsCommands.Build(support));
        root.Subcommands.Add(CompletionCommand.Build(support));
        return root;
    }
}

/// <summary>What every command builder shares: the context, the global options, and one way to run and fail.</summary>
public sealed class CommandSupport(DpContext context, GlobalOptions options)
{
    public DpContext Context => context;

    public void Handle(Command command, Func<Invocation, CancellationToken, Task<int>> run) =>
        command.SetAction((parse, ct) => ExecuteAsync(new Invocation(context, parse, options), run, ct));

    private async Task<int> ExecuteAsync(Invocation invocation, Func<Invocation, CancellationToken, Task<int>> run, CancellationToken ct)
    {
        try
        {
            return await run(invocation, ct);
        }
        catch (ApiException e)
        {
            var hint = e.Status == 401 && TryConnection(invocation)?.ApiKey is null
                ? $"\n  (no API key was sent: pass --api-key, set {ConnectionResolver.ApiKeyVariable}, or run `dp login`)"
                : "";
            await context.Error.WriteLineAsync($"dp: {e.Message}{hint}");
            return ExitCodes.ApiError;
        }
        catch (UsageException e)
        {
            await context.Error.WriteLineAsync($"dp: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (GatewayUnreachableException e)
        {
            await context.Error.WriteLineAsync($"dp: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("dp: cancelled");
            return 130;
        }
    }

    private static ConnectionSettings? TryConnection(Invocation invocation)
    {
        try
        {
            return invocation.Connection;
        }
        catch (UsageException)
        {
            return null;
        }
    }
}
