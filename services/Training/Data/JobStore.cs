using System.ComponentModel.DataAnnotations;
using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Training.Domain;
using DomainPlatform.Training.Jobs;
using Npgsql;

namespace DomainPlatform.Training.Data;

public sealed record DatasetRecord
{
    public Guid Id { get; init; }
    public string Domain { get; init; } = "";
    public string Name { get; init; } = "";
    public int ExampleCount { get; init; }
    public string Path { get; init; } = "";
    public string Sha256 { get; init; } = "";
    public double? PrivacyEpsilon { get; init; }
    public DateTime ReceivedAt { get; init; }
}

public sealed record JobRecord
{
    public Guid Id { get; init; }
    public string Domain { get; init; } = "";
    public Guid DatasetId { get; init; }
    public string DatasetPath { get; init; } = "";
    public string DatasetSha256 { get; init; } = "";
    public string? BaseModelPath { get; init; }
    public int Epochs { get; init; }
    public double LearningRate { get; init; }
    [AllowedValues(JobStates.Queued, JobStates.Running, JobStates.Succeeded, JobStates.Failed, JobStates.Cancelled)]
    public string State { get; init; } = JobStates.Queued;
    public string? Trainer { get; init; }
    /// <summary>Overall completion, 0..1.</summary>
    public double Progress { get; init; }
    public int Epoch { get; init; }
    public int TotalEpochs { get; init; }
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Cross-entropy in nats per token.</summary>
    public double? TrainingLoss { get; init; }
    public double? ValidationLoss { get; init; }
    public double? Accuracy { get; init; }
    public double? LatencyMs { get; init; }
    public string? Message { get; init; }
    public string? ArtifactPath { get; init; }
    public string? ArtifactSha256 { get; init; }
    public long? ArtifactSize { get; init; }
    public string? Error { get; init; }
    public bool CancelRequested { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>One kept progress report of a job: where it was and its losses (nats per token) then.</summary>
public sealed record ProgressPoint
{
    /// <summary>Rises with each point of the job's run; thinning leaves gaps.</summary>
    public int Seq { get; init; }
    public DateTime At { get; init; }
    public int Epoch { get; init; }
    public int TotalEpochs { get; init; }
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Overall completion, 0..1.</summary>
    public double Progress { get; init; }
    public double? TrainingLoss { get; init; }
    public double? ValidationLoss { get; init; }
    public double? TokensPerSecond { get; init; }
}

/// <summary>A job's kept loss history: its points in step order, at most <paramref name="MaxPoints"/>.</summary>
public sealed record JobHistory(Guid JobId, string State, int MaxPoints, IReadOnlyList<ProgressPoint> Points);

public enum CancelOutcome { NotFound, CancelledWhileQueued, CancellationRequested, AlreadyFinished }

public sealed class JobStore(NpgsqlDataSource db)
{
    private const string Columns = """
        id, domain, dataset_id AS DatasetId, dataset_path AS DatasetPath, dataset_sha256 AS DatasetSha256, base_model_path AS BaseModelPath,
        epochs, learning_rate AS LearningRate, state, trainer, progress, epoch, total_epochs AS TotalEpochs, step, total_steps AS TotalSteps,
        training_loss AS TrainingLoss, validation_loss AS ValidationLoss, accuracy, latency_ms AS LatencyMs, message,
        artifact_path AS ArtifactPath, artifact_sha256 AS ArtifactSha256, artifact_size AS ArtifactSize, error,
        cancel_requested AS CancelRequested, created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Remembers an announced dataset (inside the consumer's transaction); a repeat is ignored.</summary>
    public static Task RememberDatasetAsync(NpgsqlConnection connection, NpgsqlTransaction tx, DatasetReady evt, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO datasets (id, domain, name, example_count, path, sha256, privacy_epsilon)
            VALUES (@DatasetId, @Domain, @Name, @ExampleCount, @Path, @Sha256, @PrivacyEpsilon)
            ON CONFLICT (id) DO NOTHING
            """, evt, tx, cancellationToken: ct));

    public static async Task<Guid> QueueAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, DatasetRecord dataset, string? baseModelPath, int epochs, double learningRate, CancellationToken ct)
    {
        // Parameter names are distinct ignoring case: Dapper matches them case-insensitively.
        var jobId = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO jobs (id, domain, dataset_id, dataset_path, dataset_sha256, base_model_path, epochs, learning_rate, state, message)
            VALUES (@jobId, @domain, @datasetId, @path, @sha256, @baseModelPath, @epochs, @learningRate, 'queued', 'waiting for the runner')
            """, new { jobId, domain = dataset.Domain, datasetId = dataset.Id, path = dataset.Path, sha256 = dataset.Sha256, baseModelPath, epochs, learningRate },
            tx, cancellationToken: ct));
        return jobId;
    }

    public async Task<Guid> QueueAsync(DatasetRecord dataset, string? baseModelPath, int epochs, double learningRate, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await QueueAsync(connection, null, dataset, baseModelPath, epochs, learningRate, ct);
    }

    public async Task<DatasetRecord?> FindDatasetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DatasetRecord>(new CommandDefinition("""
            SELECT id, domain, name, example_count AS ExampleCount, path, sha256, privacy_epsilon AS PrivacyEpsilon, received_at AS ReceivedAt
            FROM datasets WHERE id = @id
            """, new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DatasetRecord>> ListDatasetsAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DatasetRecord>(new CommandDefinition("""
            SELECT id, domain, name, example_count AS ExampleCount, path, sha256, privacy_epsilon AS PrivacyEpsilon, received_at AS ReceivedAt
            FROM datasets ORDER BY received_at
            """, cancellationToken: ct))).AsList();
    }

    public async Task<JobRecord?> FindAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM jobs WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(string? state, string? domain, Guid? datasetId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<JobRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM jobs
            WHERE (@state::text IS NULL OR state = @state) AND (@domain::text IS NULL OR domain = @domain) AND (@datasetId::uuid IS NULL OR dataset_id = @datasetId)
            ORDER BY created_at
            """, new { state, domain, datasetId }, cancellationToken: ct))).AsList();
    }

    /// <summary>Takes the oldest queued job and marks it running.</summary>
    public async Task<JobRecord?> ClaimNextAsync(string trainer, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // A re-queued job starts again from its first step: the points of its interrupted run go.
        return await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition($"""
            WITH claimed AS (
                UPDATE jobs SET state = 'running', trainer = @trainer, started_at = now(), updated_at = now(), message = 'started'
                WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING {Columns}),
            cleared AS (DELETE FROM job_progress WHERE job_id IN (SELECT id FROM claimed))
            SELECT * FROM claimed
            """, new { trainer }, cancellationToken: ct));
    }

    /// <summary>Jobs a stopped process was running go back to the queue.</summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET state = 'queued', message = 'requeued after a restart', updated_at = now() WHERE state = 'running'", cancellationToken: ct));
    }

    /// <summary>
    /// A figure as stored: a loss that is not a number (llama.cpp's mean over no batch yet, or a diverged run) is no figure,
    /// since JSON has no NaN and a job that cannot be read is worse than one without its loss.
    /// </summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>
    /// Persists progress, keeps it as a point of the job's history when it carries a loss (thinned beyond
    /// <see cref="ProgressHistory.MaxPoints"/>), and queues TrainingProgressed, all in one transaction; returns whether
    /// someone asked to cancel the job.
    /// </summary>
    public async Task<bool> ReportAsync(JobRecord job, TrainingProgress progress, CancellationToken ct)
    {
        var (trainingLoss, validationLoss, tokensPerSecond) = (Finite(progress.TrainingLoss), Finite(progress.ValidationLoss), Finite(progress.TokensPerSecond));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var cancelRequested = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            UPDATE jobs SET progress = @Fraction, epoch = @Epoch, total_epochs = @TotalEpochs, step = @Step, total_steps = @TotalSteps,
                training_loss = COALESCE(@trainingLoss, training_loss), validation_loss = COALESCE(@validationLoss, validation_loss),
                message = @Message, updated_at = now()
            WHERE id = @Id
            RETURNING cancel_requested
            """, new { job.Id, progress.Fraction, progress.Epoch, progress.TotalEpochs, progress.Step, progress.TotalSteps, trainingLoss, validationLoss, progress.Message },
            tx, cancellationToken: ct));
        if (trainingLoss is not null || validationLoss is not null)
        {
            var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
                INSERT INTO job_progress (job_id, seq, epoch, total_epochs, step, total_steps, progress, training_loss, validation_loss, tokens_per_second)
                SELECT @Id, COALESCE(MAX(seq), 0) + 1, @Epoch, @TotalEpochs, @Step, @TotalSteps, @Fraction, @trainingLoss, @validationLoss, @tokensPerSecond
                FROM job_progress WHERE job_id = @Id
                RETURNING (SELECT count(*)::int + 1 FROM job_progress WHERE job_id = @Id)
                """, new { job.Id, progress.Epoch, progress.TotalEpochs, progress.Step, progress.TotalSteps, progress.Fraction, trainingLoss, validationLoss, tokensPerSecond },
                tx, cancellationToken: ct));
            if (count > ProgressHistory.MaxPoints) await ThinAsync(connection, tx, job.Id, ct);
        }
        await Outbox.AddAsync(connection, tx, new TrainingProgressed(job.Id, job.Domain, progress.Epoch, progress.TotalEpochs, progress.Step, progress.TotalSteps,
            progress.Fraction, trainingLoss, validationLoss, tokensPerSecond, progress.Message), ct);
        await tx.CommitAsync(ct);
        return cancelRequested;
    }

    private static async Task ThinAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, CancellationToken ct)
    {
        var points = (await connection.QueryAsync<(int Seq, bool Validated)>(new CommandDefinition(
            "SELECT seq, validation_loss IS NOT NULL FROM job_progress WHERE job_id = @id ORDER BY seq", new { id }, tx, cancellationToken: ct))).AsList();
        var drop = ProgressHistory.ToDrop(points.ConvertAll(p => p.Validated)).Select(i => points[i].Seq).ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM job_progress WHERE job_id = @id AND seq = ANY(@drop)", new { id, drop }, tx, cancellationToken: ct));
    }

    /// <summary>The job's kept history in step order, only the points after <paramref name="afterSeq"/> when given; null for an unknown job.</summary>
    public async Task<JobHistory?> HistoryAsync(Guid id, int? afterSeq, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT state FROM jobs WHERE id = @id", new { id }, cancellationToken: ct)) is not { } state)
        {
            return null;
        }
        var points = (await connection.QueryAsync<ProgressPoint>(new CommandDefinition("""
            SELECT seq, at, epoch, total_epochs AS TotalEpochs, step, total_steps AS TotalSteps, progress,
                training_loss AS TrainingLoss, validation_loss AS ValidationLoss, tokens_per_second AS TokensPerSecond
            FROM job_progress WHERE job_id = @id AND seq > @after ORDER BY seq
            """, new { id, after = afterSeq ?? 0 }, cancellationToken: ct))).AsList();
        return new JobHistory(id, state, ProgressHistory.MaxPoints, points);
    }

    /// <summary>Ends a running job and queues TrainingCompleted in the same transaction.</summary>
    public async Task FinishAsync(JobRecord job, string state, TrainingResult? result, string? error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET state = @state, progress = CASE WHEN @state = 'succeeded' THEN 1 ELSE progress END,
                training_loss = COALESCE(@TrainingLoss, training_loss), validation_loss = COALESCE(@ValidationLoss, validation_loss),
                accuracy = @Accuracy, latency_ms = @LatencyMs, artifact_path = @ArtifactPath, artifact_sha256 = @ArtifactSha256,
                artifact_size = @ArtifactSize, error = @error, message = @message, finished_at = now(), updated_at = now()
            WHERE id = @Id
            """, new
        {
            job.Id, state, error, message = result?.Summary ?? error,
            TrainingLoss = Finite(result?.Metrics.TrainingLoss), ValidationLoss = Finite(result?.Metrics.ValidationLoss),
            Accuracy = Finite(result?.Metrics.Accuracy), LatencyMs = Finite(result?.Metrics.LatencyMs),
            result?.ArtifactPath, result?.ArtifactSha256, ArtifactSize = result?.ArtifactSizeBytes,
        }, tx, cancellationToken: ct));
        await Outbox.AddAsync(connection, tx, Completed(job, result, error), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>A queued job is cancelled at once (with its event); a running one is flagged for the runner to stop.</summary>
    public async Task<CancelOutcome> RequestCancelAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var job = await connection.QuerySingleOrDefaultAsync<JobRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM jobs WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct));
        if (job is null) return CancelOutcome.NotFound;
        if (JobStates.IsTerminal(job.State)) return CancelOutcome.AlreadyFinished;
        if (job.State == JobStates.Running)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE jobs SET cancel_requested = true, updated_at = now() WHERE id = @id", new { id }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            return CancelOutcome.CancellationRequested;
        }
        const string reason = "cancelled before it started";
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET state = 'cancelled', cancel_requested = true, error = @reason, message = @reason, finished_at = now(), updated_at = now()
            WHERE id = @id
            """, new { id, reason }, tx, cancellationToken: ct));
        await Outbox.AddAsync(connection, tx, Completed(job, null, reason), ct);
        await tx.CommitAsync(ct);
        return CancelOutcome.CancelledWhileQueued;
    }

    private static TrainingCompleted Completed(JobRecord job, TrainingResult? result, string? error) => new(
        job.Id, job.Domain, job.DatasetId, result is not null, result?.ArtifactPath, result?.ArtifactSha256, result?.ArtifactSizeBytes,
        result?.BaseModelVersion, result?.Metrics, error);
}
