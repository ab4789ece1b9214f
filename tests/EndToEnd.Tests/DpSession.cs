using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DomainPlatform.Dp.Cli;
using DomainPlatform.TestSupport;
using Spectre.Console;

namespace DomainPlatform.EndToEnd.Tests;

/// <summary>What one dp command printed and returned.</summary>
public sealed record DpOutcome(int ExitCode, string Output, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Output).RootElement.Clone();
}

/// <summary>
/// Runs dp's own command tree in-process, as `dp` on a terminal would (the same DpCli.RunAsync the tool's Main calls),
/// against the suite's gateway with the admin key from DP_URL/DP_API_KEY, and keeps a transcript of every command
/// and what it printed, saved under .platform/dp-transcripts/ for people to read.
/// </summary>
public sealed partial class DpSession(PlatformFixture platform, string name) : IDisposable
{
    private readonly StringBuilder transcript = new();
    private readonly Lock gate = new();
    private readonly string home = Directory.CreateTempSubdirectory("dp-e2e-").FullName;

    public async Task<DpOutcome> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        var environment = DpEnvironment.From(new Dictionary<string, string>
        {
            [ConnectionResolver.UrlVariable] = platform.Gateway.ToString(),
            [ConnectionResolver.ApiKeyVariable] = platform.AdminKey ?? "",
        }, home);
        var context = new DpContext { Console = console, Output = output, Error = error, Environment = environment };
        var code = await DpCli.RunAsync(args, context, TestContext.Current.CancellationToken);
        var outcome = new DpOutcome(code, output.ToString(), error.ToString());
        lock (gate)
        {
            transcript.Append("$ dp ").AppendLine(string.Join(' ', args.Select(Quote)));
            transcript.Append(outcome.Output);
            transcript.Append(outcome.Error);
            if (code != 0) transcript.AppendLine($"(exit {code})");
            transcript.AppendLine();
        }
        return outcome;
    }

    /// <summary>Runs a command that must succeed; a failure shows what dp printed.</summary>
    public async Task<DpOutcome> OkAsync(params string[] args)
    {
        var outcome = await RunAsync(args);
        Assert.True(outcome.ExitCode == 0, $"dp {string.Join(' ', args)} exited {outcome.ExitCode}:\n{outcome.Output}{outcome.Error}");
        return outcome;
    }

    public void Note(string text)
    {
        lock (gate) transcript.AppendLine($"# {text}").AppendLine();
    }

    public string Transcript
    {
        get
        {
            lock (gate) return transcript.ToString();
        }
    }

    public void Dispose()
    {
        var folder = Path.Combine(TestInfrastructure.RepositoryRoot, ".platform", "dp-transcripts");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, $"{name}.txt"), Transcript);
        TestContext.Current.TestOutputHelper?.WriteLine(Transcript);
        Directory.Delete(home, recursive: true);
    }

    // Secrets are not written to the transcript.
    private static string Quote(string arg)
    {
        var shown = KeyPattern().Replace(arg, m => m.Value[..8] + "…");
        return shown.Length == 0 || shown.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '[' or ']') ? $"'{shown}'" : shown;
    }

    [GeneratedRegex("dpk_[A-Za-z0-9_-]{8,}")]
    private static partial Regex KeyPattern();
}
