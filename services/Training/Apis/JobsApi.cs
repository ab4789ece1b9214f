using System.ComponentModel.DataAnnotations;
using DomainPlatform.Training.Data;
using DomainPlatform.Training.Domain;
using DomainPlatform.Training.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Apis;

/// <summary>Start a job on an announced dataset; omitted fields take the Training configuration's defaults.</summary>
public sealed record StartJobRequest(
    [property: Required] Guid? DatasetId, [property: Range(1, JobRules.MaxEpochs)] int? Epochs,
    [property: Range(JobRules.MinLearningRate, 1)] double? LearningRate, string? BaseModelPath);

public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/training").WithTags("Training jobs");

        api.MapGet("/jobs", ListJobs).WithName("ListTrainingJobs").WithSummary("List training jobs, optionally by state, domain or dataset");
        api.MapGet("/jobs/{id:guid}", GetJob).WithName("GetTrainingJob").WithSummary("Get one job with its progress (epoch, step, losses) and result");
        api.MapGet("/jobs/{id:guid}/history", GetJobHistory).WithName("GetTrainingJobHistory")
            .WithSummary("Get a job's kept progress points (step, epoch, losses, tokens/s, time) in step order")
            .WithDescription($"Every progress report that carries a loss is kept, for a running or finished job and across restarts: at most {ProgressHistory.MaxPoints} " +
                "points a job, beyond which every second one is dropped (the first, the last and, while they fit, those with a validation loss kept), so the " +
                "history spans the whole job. `after` (a point's `seq`) returns only the points after it, for a view that appends. A re-queued job's points start again.");
        api.MapPost("/jobs", StartJob).WithName("StartTrainingJob").WithSummary("Queue a training job on an announced dataset")
            .WithDescription("Jobs run one at a time; a DatasetReady event queues one automatically. TrainingCompleted is published when the job ends, whatever the outcome.");
        api.MapPost("/jobs/{id:guid}/cancel", CancelJob).WithName("CancelTrainingJob").WithSummary("Cancel a queued or running job")
            .WithDescription("A queued job is cancelled at once (200); a running one is asked to stop at its next progress report (202); a finished one cannot be (409).");
        api.MapGet("/datasets", ListDatasets).WithName("ListTrainingDatasets").WithSummary("List the datasets announced by extraction");
        return api;
    }

    public static async Task<Results<Ok<IReadOnlyList<JobRecord>>, ValidationProblem>> ListJobs(string? state, string? domain, Guid? datasetId, JobStore store, CancellationToken ct)
    {
        string? error = null;
        var canonical = state is null ? null : FilterValues.Canonical(state, JobStates.All, out error);
        if (state is not null && canonical is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = [error!] });
        state = canonical;
        return TypedResults.Ok(await store.ListAsync(state, domain, datasetId, ct));
    }

    public static async Task<Results<Ok<JobRecord>, ProblemHttpResult>> GetJob(Guid id, JobStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } job ? TypedResults.Ok(job) : JobNotFound(id);

    public static async Task<Results<Ok<JobHistory>, ValidationProblem, ProblemHttpResult>> GetJobHistory(Guid id, int? after, JobStore store, CancellationToken ct)
    {
        if (after is < 0) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["after is a point's seq, 0 or more."] });
        return await store.HistoryAsync(id, after, ct) is { } history ? TypedResults.Ok(history) : JobNotFound(id);
    }

    public static async Task<Results<Accepted<JobRecord>, ValidationProblem, ProblemHttpResult>> StartJob(
        StartJobRequest request, JobStore store, JobSignal signal, IOptions<TrainingOptions> options, CancellationToken ct)
    {
        var errors = JobRules.Validate(request.DatasetId, request.Epochs, request.LearningRate, request.BaseModelPath);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (await store.FindDatasetAsync(request.DatasetId!.Value, ct) is not { } dataset)
        {
            return TypedResults.Problem(title: "Dataset not found", detail: $"No dataset '{request.DatasetId}' has been announced to the training service.",
                statusCode: StatusCodes.Status404NotFound);
        }
        var id = await store.QueueAsync(dataset, request.BaseModelPath, request.Epochs ?? options.Value.DefaultEpochs, request.LearningRate ?? options.Value.DefaultLearningRate, ct);
        signal.Notify();
        return TypedResults.Accepted($"/api/training/jobs/{id}", await store.FindAsync(id, ct));
    }

    public static async Task<Results<Ok<JobRecord>, Accepted<JobRecord>, ProblemHttpResult>> CancelJob(Guid id, JobStore store, EventBus.OutboxSignal outboxSignal, CancellationToken ct)
    {
        var outcome = await store.RequestCancelAsync(id, ct);
        if (outcome == CancelOutcome.NotFound) return JobNotFound(id);
        var job = (await store.FindAsync(id, ct))!;
        return outcome switch
        {
            CancelOutcome.CancelledWhileQueued => Notify(outboxSignal, TypedResults.Ok(job)),
            CancelOutcome.CancellationRequested => TypedResults.Accepted($"/api/training/jobs/{id}", job),
            _ => TypedResults.Problem(title: "Job already finished", detail: $"The job '{id}' ended as {job.State}; it cannot be cancelled.", statusCode: StatusCodes.Status409Conflict),
        };
    }

    public static async Task<Ok<IReadOnlyList<DatasetRecord>>> ListDatasets(JobStore store, CancellationToken ct) => TypedResults.Ok(await store.ListDatasetsAsync(ct));

    private static ProblemHttpResult JobNotFound(Guid id) =>
        TypedResults.Problem(title: "Job not found", detail: $"No training job has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    private static T Notify<T>(EventBus.OutboxSignal signal, T result)
    {
        signal.Notify();
        return result;
    }
}
