using System.CommandLine;
using DomainPlatform.Dp.Api;
using DomainPlatform.Dp.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Cli;

/// <summary>One command being run: its parsed options, the API client (built on first use) and where output goes.</summary>
public sealed class Invocation(DpContext context, ParseResult parse, GlobalOptions options)
{
    private ApiClient? api;
    private ConnectionSettings? connection;

    public ParseResult Parse => parse;
    public DpContext Context => context;
    public IAnsiConsole Console => context.Console;
    public bool Json => parse.GetValue(options.Json);

    public T? Value<T>(Option<T> option) => parse.GetValue(option);
    public T Value<T>(Argument<T> argument) => parse.GetValue(argument)!;

    public string ConfigPath => ConnectionResolver.ConfigPath(parse.GetValue(options.Config), context.Environment);

    public ConnectionSettings Connection =>
        connection ??= ConnectionResolver.Resolve(parse.GetValue(options.Url), parse.GetValue(options.ApiKey), context.Environment, ConfigPath);

    public ApiClient Api => api ??= ApiClient.Create(Connection.Url, Connection.ApiKey, context.CreateHandler(), context.RequestTimeout, context.Error);

    /// <summary>The API's JSON as it came with --json, else the table or details made from it.</summary>
    public int Show(ApiResponse response, Func<System.Text.Json.JsonElement, IRenderable> view)
    {
        if (Json) WriteJson(response);
        else if (response.Body.Length > 0) Console.Write(view(response.Json));
        return ExitCodes.Ok;
    }

    public void WriteJson(ApiResponse response)
    {
        if (response.Body.Length > 0) context.Output.WriteLine(response.Body);
    }

    /// <summary>A one-line confirmation for humans; --json prints the API's answer instead.</summary>
    public int Done(ApiResponse response, string message)
    {
        if (Json) WriteJson(response);
        else Console.MarkupLine(Views.Escape(message));
        return ExitCodes.Ok;
    }
}
