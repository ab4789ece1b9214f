namespace DomainPlatform.Platform.Tests;

/// <summary>How ./platform test counts one project's TRX file.</summary>
public sealed class TrxTotalsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("platform-trx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<string> TotalsAsync(string trx)
    {
        var file = Path.Combine(_directory, $"{Guid.NewGuid():N}.trx");
        await File.WriteAllTextAsync(file, trx, TestContext.Current.CancellationToken);
        return (await Launcher.SourcedAsync($"trx_totals '{file}' || echo no-counters")).Trim();
    }

    private static string Trx(string counters, params string[] outcomes) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="1" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
        {string.Concat(outcomes.Select((outcome, i) => $"    <UnitTestResult executionId=\"{i}\" testName=\"T{i}\" outcome=\"{outcome}\" />\n"))}  </Results>
          <ResultSummary outcome="Completed">
            <Counters {counters} />
          </ResultSummary>
        </TestRun>
        """;

    [Fact]
    public async Task Passed_failed_and_skipped_tests_are_counted_from_the_results()
    {
        var trx = Trx("""total="6" executed="5" passed="4" failed="1" error="0" timeout="0" aborted="0" notRunnable="0" notExecuted="0" """,
            "Passed", "Passed", "Passed", "Passed", "Failed", "NotExecuted");

        Assert.Equal("4 1 1", await TotalsAsync(trx));
    }

    [Fact]
    public async Task Errors_timeouts_and_aborts_count_as_failures()
    {
        var trx = Trx("""total="5" executed="5" passed="1" failed="1" error="1" timeout="1" aborted="1" notRunnable="0" notExecuted="0" """);

        Assert.Equal("1 4 0", await TotalsAsync(trx));
    }

    [Fact]
    public async Task Not_executed_counters_are_used_when_the_results_do_not_list_them()
    {
        var trx = Trx("""total="4" executed="2" passed="2" failed="0" notRunnable="1" notExecuted="1" """);

        Assert.Equal("2 0 2", await TotalsAsync(trx));
    }

    [Fact]
    public async Task A_file_without_counters_is_an_aborted_run()
    {
        Assert.Equal("no-counters", await TotalsAsync("<TestRun><Results></Results></TestRun>"));
    }
}
