using Spectre.Console;

namespace DomainPlatform.Dp.Cli;

/// <summary>Where one run of dp writes and what it reads: the real terminal in Program.cs, captured writers in tests.</summary>
public sealed class DpContext
{
    /// <summary>Tables, live views and progress bars.</summary>
    public required IAnsiConsole Console { get; init; }
    /// <summary>Plain text (--json, help, completion scripts), never wrapped or styled.</summary>
    public required TextWriter Output { get; init; }
    /// <summary>Errors: the API's problem details, usage mistakes.</summary>
    public required TextWriter Error { get; init; }
    public required DpEnvironment Environment { get; init; }
    /// <summary>The HTTP stack under the API client (a fake handler in the parsing tests).</summary>
    public Func<HttpMessageHandler> CreateHandler { get; init; } = () => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
    /// <summary>How long one request may take before the gateway counts as unreachable.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    public static DpContext ForTerminal(DpEnvironment environment)
    {
        var console = AnsiConsole.Console;
        // Into a pipe or a file, tables keep their rows on one line (COLUMNS when set) instead of wrapping at 80.
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = int.TryParse(environment.GetVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 200;
        }
        return new DpContext { Console = console, Output = System.Console.Out, Error = System.Console.Error, Environment = environment };
    }
}
