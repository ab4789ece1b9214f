using DomainPlatform.Dp.Cli;
using Spectre.Console;

namespace DomainPlatform.Dp.Tests;

/// <summary>What one run of dp printed and returned.</summary>
public sealed record DpResult(int ExitCode, string Output, string Error);

/// <summary>Runs dp's command tree in-process against a fake gateway, with its own environment and home folder.</summary>
public sealed class DpRun : IDisposable
{
    public FakeGateway Gateway { get; } = new();
    public Dictionary<string, string> Environment { get; } = new() { ["DP_URL"] = "http://gateway.test:5100", ["DP_API_KEY"] = "dpk_test" };
    public string Home { get; } = Directory.CreateTempSubdirectory("dp-tests-").FullName;
    /// <summary>A terminal (live views, progress bars, ANSI) instead of a pipe.</summary>
    public bool Terminal { get; init; }

    public async Task<DpResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = Terminal ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = Terminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 240;
        var context = new DpContext
        {
            Console = console,
            Output = output,
            Error = error,
            Environment = DpEnvironment.From(Environment, Home),
            CreateHandler = () => Gateway,
        };
        var code = await DpCli.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new DpResult(code, output.ToString(), error.ToString());
    }

    public void Dispose() => Directory.Delete(Home, recursive: true);
}
