using DomainPlatform.Protos.Training;
using DomainPlatform.Training.Data;
using DomainPlatform.Training.Domain;
using DomainPlatform.Training.Jobs;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Training.Grpc;

/// <summary>gRPC face of the job store: start, read, and watch a job until it ends.</summary>
public sealed class TrainingJobsGrpcService(JobStore store, JobSignal signal, IOptions<TrainingOptions> options) : TrainingJobs.TrainingJobsBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    public override async Task<JobStatus> StartJob(StartJobRequest request, ServerCallContext context)
    {
        var datasetId = ParseId(request.DatasetId, "dataset_id");
        var errors = JobRules.Validate(datasetId, request.Epochs == 0 ? null : request.Epochs, request.LearningRate == 0 ? null : request.LearningRate,
            request.BaseModelPath.Length == 0 ? null : request.BaseModelPath);
        if (errors.Count > 0) throw new RpcException(new Status(StatusCode.InvalidArgument, string.Join(" ", errors.Values.SelectMany(v => v))));
        var dataset = await store.FindDatasetAsync(datasetId, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No dataset '{datasetId}' has been announced to the training service."));

        var id = await store.QueueAsync(dataset, request.BaseModelPath.Length == 0 ? null : request.BaseModelPath,
            request.Epochs == 0 ? options.Value.DefaultEpochs : request.Epochs,
            request.LearningRate == 0 ? options.Value.DefaultLearningRate : request.LearningRate, context.CancellationToken);
        signal.Notify();
        return ToStatus((await store.FindAsync(id, context.CancellationToken))!);
    }

    public override async Task<JobStatus> GetJob(GetJobRequest request, ServerCallContext context) =>
        ToStatus(await FindAsync(request, context));

    public override async Task WatchJob(GetJobRequest request, IServerStreamWriter<JobStatus> responseStream, ServerCallContext context)
    {
        var job = await FindAsync(request, context);
        var lastSent = DateTime.MinValue;
        while (true)
        {
            if (job.UpdatedAt != lastSent)
            {
                await responseStream.WriteAsync(ToStatus(job), context.CancellationToken);
                lastSent = job.UpdatedAt;
            }
            if (JobStates.IsTerminal(job.State)) return;
            await Task.Delay(WatchInterval, context.CancellationToken);
            job = await FindAsync(request, context);
        }
    }

    private async Task<JobRecord> FindAsync(GetJobRequest request, ServerCallContext context)
    {
        var id = ParseId(request.JobId, "job_id");
        return await store.FindAsync(id, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No training job has the id '{id}'."));
    }

    private static Guid ParseId(string value, string field) =>
        Guid.TryParse(value, out var id) ? id : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} must be a UUID."));

    private static JobStatus ToStatus(JobRecord job) => new()
    {
        JobId = job.Id.ToString(),
        Domain = job.Domain,
        DatasetId = job.DatasetId.ToString(),
        State = job.State,
        Progress = job.Progress,
        Message = job.Error ?? job.Message ?? "",
    };
}
