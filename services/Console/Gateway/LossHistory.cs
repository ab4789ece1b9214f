using System.Collections.Concurrent;
using System.Text.Json;

namespace DomainPlatform.Console.Gateway;

/// <summary>One look at a training job's losses.</summary>
public sealed record LossPoint(DateTimeOffset At, double Progress, double? TrainingLoss, double? ValidationLoss);

/// <summary>
/// The losses of each training job as the console has seen them: the training API reports only a job's latest
/// losses, so the curve is drawn from every look the console took since it first saw the job running (kept for the
/// console's lifetime, for every user). The job's progress, step and epoch come straight from the API.
/// </summary>
public sealed class LossHistory(TimeProvider time)
{
    private const int MaxPointsPerJob = 2000;
    private readonly ConcurrentDictionary<string, List<LossPoint>> jobs = new();

    public void Record(JsonElement job)
    {
        if (job.Num("trainingLoss") is not { } loss) return;
        var points = jobs.GetOrAdd(job.Str("id"), _ => []);
        var progress = job.Num("progress") ?? 0;
        lock (points)
        {
            if (points.Count > 0 && points[^1].Progress == progress && points[^1].TrainingLoss == loss) return;
            if (points.Count >= MaxPointsPerJob) points.RemoveAt(0);
            points.Add(new LossPoint(time.GetUtcNow(), progress, loss, job.Num("validationLoss")));
        }
    }

    public IReadOnlyList<LossPoint> For(string jobId)
    {
        if (!jobs.TryGetValue(jobId, out var points)) return [];
        lock (points) return points.ToList();
    }
}
