using System.Text.Json;

namespace DomainPlatform.Console.Gateway;

/// <summary>One kept progress point of a training job, as <c>GET /api/training/jobs/{id}/history</c> serves it.</summary>
public sealed record LossPoint(int Seq, DateTimeOffset? At, int Epoch, int Step, double Progress, double? TrainingLoss, double? ValidationLoss, double? TokensPerSecond);

/// <summary>
/// The loss curve of the job a page shows, from the history the training service keeps (any job, running or finished):
/// read whole when the page turns to a job, then only the points after its last one, appended as they come. Read whole
/// again once it holds more than twice the service's cap (the service thins its own copy; this one only grows).
/// </summary>
public sealed class LossCurve
{
    private readonly List<LossPoint> points = [];
    public string? JobId { get; private set; }

    /// <summary>The most points the service keeps a job, as it said; null before the first read.</summary>
    public int? MaxPoints { get; private set; }

    public IReadOnlyList<LossPoint> Points => points;

    /// <summary>Reads the job's history through <paramref name="get"/> (a gateway path to JSON): whole or what came after the last point.</summary>
    public async Task LoadAsync(string jobId, Func<string, Task<JsonElement>> get)
    {
        var path = $"api/training/jobs/{GatewayClient.Segment(jobId)}/history";
        var whole = jobId != JobId || points.Count == 0 || points.Count > 2 * (MaxPoints ?? int.MaxValue / 2);
        var history = await get(whole ? path : $"{path}?after={points[^1].Seq}");
        if (whole)
        {
            points.Clear();
            JobId = jobId;
        }
        if (history.Num("maxPoints") is { } max) MaxPoints = (int)max;
        foreach (var p in history.Items("points"))
        {
            var seq = (int)(p.Num("seq") ?? 0);
            // A point already held (a read that raced another) is not added twice.
            if (points.Count > 0 && seq <= points[^1].Seq) continue;
            points.Add(new LossPoint(seq, p.Time("at"), (int)(p.Num("epoch") ?? 0), (int)(p.Num("step") ?? 0), p.Num("progress") ?? 0,
                p.Num("trainingLoss"), p.Num("validationLoss"), p.Num("tokensPerSecond")));
        }
    }
}
