using System.Text.Json;
using DomainPlatform.Console.Components.Pages;
using DomainPlatform.Console.Components.Shared;
using DomainPlatform.Console.Gateway;
using Microsoft.AspNetCore.Http;

namespace DomainPlatform.Console.Tests;

public sealed class SignInReturnTests
{
    [Theory]
    [InlineData("/console/rollouts/7", "rollouts/7")] // the cookie's challenge: with the path base
    [InlineData("rollouts/7", "rollouts/7")] // the console's own redirect: without it
    [InlineData("/console", "")]
    [InlineData("/console/", "")]
    [InlineData("/consoleX/y", "consoleX/y")] // another path that only starts like the base stays under the base
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("//evil.example/x", "")]
    [InlineData("https://evil.example/x", "")]
    [InlineData("/\\evil.example", "")]
    [InlineData("javascript:alert(1)", "")]
    [InlineData("/console/signin?ReturnUrl=x", "")]
    public void Sign_in_returns_only_to_a_page_of_the_console(string? returnUrl, string expected) =>
        Assert.Equal(expected, SignIn.ReturnTarget(returnUrl, new PathString("/console")));
}

public sealed class AxisTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(5.8, 6.7)]
    [InlineData(-0.3, 0.02)]
    [InlineData(1_700_000_000, 1_700_000_042)]
    public void Ticks_cover_the_range_in_equal_rising_steps(double min, double max)
    {
        var (lo, hi, ticks) = Axis.Ticks(min, max);
        Assert.True(lo <= min && hi >= max, $"[{lo}, {hi}] does not cover [{min}, {max}]");
        Assert.InRange(ticks.Count, 3, 12);
        var steps = ticks.Zip(ticks.Skip(1), (a, b) => b - a).ToList();
        Assert.All(steps, s => Assert.Equal(steps[0], s, 6));
        Assert.True(steps[0] > 0);
    }

    [Theory]
    [InlineData(1_764_619_200, 1_764_622_800, 900)] // an hour: quarter hours
    [InlineData(1_764_619_200, 1_764_619_500, 60)] // five minutes: minutes
    [InlineData(1_764_619_230, 1_764_619_230, 15)] // one instant: a minute around it
    [InlineData(1_764_547_200, 1_764_633_600, 21600)] // a day: six hours
    [InlineData(1_764_000_000, 1_764_604_800, 172800)] // a week: whole days
    public void Time_ticks_fall_on_round_clock_times_and_cover_the_range(double min, double max, double step)
    {
        var (lo, hi, ticks) = Axis.TimeTicks(min, max);
        Assert.True(lo <= min && hi >= max, $"[{lo}, {hi}] does not cover [{min}, {max}]");
        Assert.All(ticks, t => Assert.Equal(0, t % step));
        Assert.All(ticks.Zip(ticks.Skip(1), (a, b) => b - a), s => Assert.Equal(step, s));
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(0, 0)]
    [InlineData(double.NaN, double.NaN)]
    public void A_single_value_still_gets_a_range_around_it(double min, double max)
    {
        var (lo, hi, ticks) = Axis.Ticks(min, max);
        Assert.True(hi > lo);
        Assert.True(ticks.Count >= 2);
    }
}

public sealed class LossCurveTests
{
    private static JsonElement History(int maxPoints, params (int Seq, double Progress, double? Loss, double? Validation)[] points) =>
        JsonSerializer.SerializeToElement(new
        {
            jobId = "a", state = "running", maxPoints,
            points = points.Select(p => new { seq = p.Seq, at = "2026-12-01T20:00:00Z", epoch = 1, step = p.Seq, progress = p.Progress, trainingLoss = p.Loss, validationLoss = p.Validation, tokensPerSecond = 100.0 }),
        });

    [Fact]
    public async Task Reads_a_jobs_kept_history_whole_then_appends_only_what_came_after_its_last_point()
    {
        var asked = new List<string>();
        var answers = new Queue<JsonElement>([
            History(500, (1, 0.1, 6.6, null), (2, 0.5, 6.3, null)),
            History(500, (2, 0.5, 6.3, null), (3, 1.0, 6.2, 5.8)), // a repeat of the last point is not added twice
            History(500, (1, 0.2, 4.0, null)),
        ]);
        var curve = new LossCurve();
        Task<JsonElement> Get(string path)
        {
            asked.Add(path);
            return Task.FromResult(answers.Dequeue());
        }

        await curve.LoadAsync("a", Get);
        await curve.LoadAsync("a", Get);
        Assert.Equal([(0.1, 6.6), (0.5, 6.3), (1.0, 6.2)], curve.Points.Select(p => (p.Progress, p.TrainingLoss!.Value)).ToList());
        Assert.Equal(5.8, curve.Points[^1].ValidationLoss);
        Assert.Equal(500, curve.MaxPoints);

        // Another job: read whole, the first job's points gone.
        await curve.LoadAsync("b", Get);
        Assert.Equal("b", curve.JobId);
        Assert.Single(curve.Points);
        Assert.Equal(["api/training/jobs/a/history", "api/training/jobs/a/history?after=2", "api/training/jobs/b/history"], asked);
    }

    [Fact]
    public async Task Reads_whole_again_once_it_holds_more_than_twice_the_services_cap()
    {
        var asked = new List<string>();
        var curve = new LossCurve();
        var next = 1;
        Task<JsonElement> Get(string path)
        {
            asked.Add(path);
            // A cap of 3: each read brings 4 more points.
            var points = Enumerable.Range(next, 4).Select(i => (i, i / 100.0, (double?)1.0, (double?)null)).ToArray();
            next += 4;
            return Task.FromResult(History(3, points));
        }

        await curve.LoadAsync("a", Get); // 4 points
        await curve.LoadAsync("a", Get); // 8 points, more than 2 x 3
        await curve.LoadAsync("a", Get);
        Assert.Equal(["api/training/jobs/a/history", "api/training/jobs/a/history?after=4", "api/training/jobs/a/history"], asked);
        Assert.Equal(4, curve.Points.Count);
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

public sealed class GatewayProblemTests
{
    [Fact]
    public void Reads_problem_details_with_their_field_errors()
    {
        var problem = GatewayProblem.From(HttpMethod.Post, "api/rollouts/1/promote", 400, "Bad Request",
            """{"title":"Invalid request","detail":"The body is wrong.","errors":{"reason":["too long"]}}""");
        Assert.Equal((400, "Invalid request"), (problem.Status, problem.Title));
        Assert.Equal("POST /api/rollouts/1/promote: The body is wrong. reason: too long", problem.Detail);
    }

    [Fact]
    public void Reads_the_gateways_forbidden_answer()
    {
        var problem = GatewayProblem.From(HttpMethod.Post, "/api/rollouts/1/abort", 403, "Forbidden",
            """{"title":"Forbidden","status":403,"detail":"The role 'viewer' may not POST /api/rollouts/1/abort."}""");
        Assert.True(problem.IsForbidden);
        Assert.Contains("The role 'viewer' may not POST", problem.Detail);
    }

    [Fact]
    public void Reads_openai_errors_and_bare_text()
    {
        var openAi = GatewayProblem.From(HttpMethod.Get, "v1/models", 401, "Unauthorized", """{"error":{"message":"No key.","code":"invalid_api_key"}}""");
        Assert.Equal(("invalid_api_key", "GET /v1/models: No key."), (openAi.Title, openAi.Detail));
        var text = GatewayProblem.From(HttpMethod.Get, "api/x", 502, "Bad Gateway", "upstream died");
        Assert.Equal(("Bad Gateway", "GET /api/x: upstream died"), (text.Title, text.Detail));
    }
}

public sealed class JsonTests
{
    [Theory]
    [InlineData("019ada3e-0b65-7c31-9f1e-5f8809251470", "…09251470")]
    [InlineData("0x12ab-Agent", "…ab-Agent")]
    [InlineData("short", "short")]
    public void Ids_are_shown_by_their_last_characters(string id, string expected) => Assert.Equal(expected, Json.ShortId(id));

    [Fact]
    public void A_missing_or_null_field_reads_as_empty()
    {
        var element = JsonSerializer.SerializeToElement(new { a = (string?)null, b = new { c = 2.5 } });
        Assert.Equal("", element.Str("a"));
        Assert.Equal("", element.Str("x.y"));
        Assert.Equal(2.5, element.Num("b.c"));
        Assert.Empty(element.Items("b"));
    }
}
