using Dapper;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

/// <summary>Summed sufficient statistics of one metric for one group (a variant or a model version).</summary>
public sealed record AggregateRow
{
    /// <summary>The analysis phase, where a query keeps phases apart (0 otherwise).</summary>
    public int Phase { get; init; }
    public string Variant { get; init; } = "";
    public string ModelVersion { get; init; } = "";
    public string Metric { get; init; } = "";
    public long Count { get; init; }
    public double Sum { get; init; }
    public double SumSquares { get; init; }
    public long Successes { get; init; }

    public double Mean => Count > 0 ? Sum / Count : 0;
}

/// <summary>Where an outcome counts: an experiment's phase and variant, or the domain's traffic outside experiments.</summary>
public sealed record Attribution(string Domain, string Variant, string ModelVersion, Guid ExperimentId, int Phase)
{
    public bool InExperiment => ExperimentId != Guid.Empty;
}

public sealed record RequestOutcomeRow
{
    public string RequestId { get; init; } = "";
    public string Domain { get; init; } = "";
    public string Variant { get; init; } = "";
    public string ModelVersion { get; init; } = "";
    public Guid ExperimentId { get; init; }
    public int Phase { get; init; }
    public double? LatencyMs { get; init; }
    public DateTime OccurredAt { get; init; }
}

public sealed class MetricStore(NpgsqlDataSource db)
{
    private sealed record PhaseMatch
    {
        public Guid Id { get; init; }
        public string VariantsJson { get; init; } = "[]";
        public int Number { get; init; }
    }

    /// <summary>
    /// The experiment phase an outcome at <paramref name="at"/> belongs to: the domain's experiment whose phase spans
    /// that instant (the event's own experiment id when it names one), and the arm with that variant name and model version.
    /// </summary>
    public static async Task<Attribution> AttributeAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        string domain, string variant, string modelVersion, Guid? experimentId, DateTimeOffset at, CancellationToken ct)
    {
        var match = await connection.QueryFirstOrDefaultAsync<PhaseMatch>(new CommandDefinition("""
            SELECT e.id, e.variants::text AS VariantsJson, p.number
            FROM experiments e JOIN experiment_phases p ON p.experiment_id = e.id
            WHERE e.domain = @domain AND (@experimentId::uuid IS NULL OR e.id = @experimentId)
              AND p.started_at <= @at AND (p.ended_at IS NULL OR p.ended_at > @at)
            ORDER BY p.started_at DESC LIMIT 1
            """, new { domain, experimentId, at = at.UtcDateTime }, tx, cancellationToken: ct));
        if (match is not null)
        {
            var variants = System.Text.Json.JsonSerializer.Deserialize<Variant[]>(match.VariantsJson, System.Text.Json.JsonSerializerOptions.Web) ?? [];
            // The gateway names the arm once the experiment's split reaches it. Until then (deployment loading the arms) and
            // after it, traffic runs on the deployment route ("stable", "canary"): counting it for the arm with the same
            // model version would inflate that arm's assignments and trip the sample-ratio check.
            var arm = variants.FirstOrDefault(v => v.Name == variant && v.ModelVersion == modelVersion);
            if (arm is not null) return new Attribution(domain, arm.Name, modelVersion, match.Id, match.Number);
        }
        return new Attribution(domain, variant, modelVersion, Guid.Empty, 0);
    }

    /// <summary>Adds the observations to their aggregates in one atomic UPSERT.</summary>
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Attribution where, DateTime bucket,
        IReadOnlyList<Observation> observations, CancellationToken ct)
    {
        if (observations.Count == 0) return Task.CompletedTask;
        return connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO metric_aggregates AS a (experiment_id, phase, variant, metric, bucket, domain, model_version, count, sum, sum_squares, successes)
            SELECT @ExperimentId, @Phase, @Variant, m.metric, @bucket, @Domain, @ModelVersion, 1, m.value, m.value * m.value, m.success
            FROM unnest(@metrics, @values, @successes) AS m(metric, value, success)
            ON CONFLICT (experiment_id, phase, variant, metric, bucket, domain, model_version) DO UPDATE SET
                count = a.count + EXCLUDED.count, sum = a.sum + EXCLUDED.sum,
                sum_squares = a.sum_squares + EXCLUDED.sum_squares, successes = a.successes + EXCLUDED.successes
            """, new
        {
            where.ExperimentId, where.Phase, where.Variant, bucket, where.Domain, where.ModelVersion,
            metrics = observations.Select(o => o.Metric).ToArray(),
            values = observations.Select(o => o.Value).ToArray(),
            successes = observations.Select(o => o.Success ? 1L : 0L).ToArray(),
        }, tx, cancellationToken: ct));
    }

    public static Task RememberRequestAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string requestId, Attribution where,
        double? latencyMs, DateTimeOffset at, CancellationToken ct, bool failed = false) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO request_outcomes (request_id, domain, variant, model_version, experiment_id, phase, latency_ms, occurred_at, failed)
            VALUES (@requestId, @Domain, @Variant, @ModelVersion, @ExperimentId, @Phase, @latencyMs, @at, @failed)
            ON CONFLICT (request_id) DO NOTHING
            """, new { requestId, where.Domain, where.Variant, where.ModelVersion, where.ExperimentId, where.Phase, latencyMs, at = at.UtcDateTime, failed },
            tx, cancellationToken: ct));

    /// <summary>Each arm's errors in a row in the phase: its failed requests since its last successful one.</summary>
    public async Task<IReadOnlyDictionary<string, int>> ErrorStreaksAsync(Guid experimentId, int phase, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StreakRow>(new CommandDefinition("""
            SELECT r.variant AS Variant, count(*)::int AS Streak
            FROM request_outcomes r
            WHERE r.experiment_id = @experimentId AND r.phase = @phase AND r.failed
              AND r.occurred_at > COALESCE((SELECT max(s.occurred_at) FROM request_outcomes s
                  WHERE s.experiment_id = r.experiment_id AND s.phase = r.phase AND s.variant = r.variant AND NOT s.failed), '-infinity')
            GROUP BY r.variant
            """, new { experimentId, phase }, cancellationToken: ct));
        return rows.ToDictionary(r => r.Variant, r => r.Streak);
    }

    private sealed record StreakRow
    {
        public string Variant { get; init; } = "";
        public int Streak { get; init; }
    }

    public static Task<RequestOutcomeRow?> FindRequestAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string requestId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<RequestOutcomeRow>(new CommandDefinition("""
            SELECT request_id AS RequestId, domain, variant, model_version AS ModelVersion, experiment_id AS ExperimentId, phase,
                   latency_ms AS LatencyMs, occurred_at AS OccurredAt
            FROM request_outcomes WHERE request_id = @requestId
            """, new { requestId }, tx, cancellationToken: ct));

    /// <summary>One experiment phase's aggregates by variant and metric.</summary>
    public async Task<IReadOnlyList<AggregateRow>> ForExperimentAsync(Guid experimentId, int phase, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AggregateRow>(new CommandDefinition("""
            SELECT variant, min(model_version) AS ModelVersion, metric, sum(count)::bigint AS Count, sum(sum) AS Sum,
                   sum(sum_squares) AS SumSquares, sum(successes)::bigint AS Successes
            FROM metric_aggregates WHERE experiment_id = @experimentId AND phase = @phase
            GROUP BY variant, metric ORDER BY variant, metric
            """, new { experimentId, phase }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>An experiment's aggregates of one metric in every phase, by phase and variant.</summary>
    public async Task<IReadOnlyList<AggregateRow>> ForExperimentPhasesAsync(Guid experimentId, string metric, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AggregateRow>(new CommandDefinition("""
            SELECT phase, variant, min(model_version) AS ModelVersion, metric, sum(count)::bigint AS Count, sum(sum) AS Sum,
                   sum(sum_squares) AS SumSquares, sum(successes)::bigint AS Successes
            FROM metric_aggregates WHERE experiment_id = @experimentId AND metric = @metric AND phase > 0
            GROUP BY phase, variant, metric ORDER BY phase, variant
            """, new { experimentId, metric }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>A domain's aggregates by model version and metric from <paramref name="fromBucket"/> on (up to <paramref name="untilBucket"/>, excluded, when given), experiments or not.</summary>
    public async Task<IReadOnlyList<AggregateRow>> ForVersionsAsync(
        string domain, IReadOnlyList<string>? versions, DateTime fromBucket, CancellationToken ct, DateTime? untilBucket = null)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AggregateRow>(new CommandDefinition("""
            SELECT '' AS Variant, model_version AS ModelVersion, metric, sum(count)::bigint AS Count, sum(sum) AS Sum,
                   sum(sum_squares) AS SumSquares, sum(successes)::bigint AS Successes
            FROM metric_aggregates
            WHERE domain = @domain AND bucket >= @fromBucket AND (@untilBucket::timestamptz IS NULL OR bucket < @untilBucket)
              AND (@versions::text[] IS NULL OR model_version = ANY(@versions))
            GROUP BY model_version, metric ORDER BY model_version, metric
            """, new { domain, versions = versions?.ToArray(), fromBucket, untilBucket }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>Every domain and model version's aggregates from <paramref name="fromBucket"/> on, for the monitor.</summary>
    public async Task<IReadOnlyList<(string Domain, AggregateRow Row)>> AllSinceAsync(DateTime fromBucket, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<DomainAggregateRow>(new CommandDefinition("""
            SELECT domain, model_version AS ModelVersion, metric, sum(count)::bigint AS Count, sum(sum) AS Sum,
                   sum(sum_squares) AS SumSquares, sum(successes)::bigint AS Successes
            FROM metric_aggregates WHERE bucket >= @fromBucket
            GROUP BY domain, model_version, metric ORDER BY domain, model_version, metric
            """, new { fromBucket }, cancellationToken: ct));
        return rows.Select(r => (r.Domain, new AggregateRow
        {
            ModelVersion = r.ModelVersion, Metric = r.Metric, Count = r.Count, Sum = r.Sum, SumSquares = r.SumSquares, Successes = r.Successes,
        })).ToArray();
    }

    /// <summary>Counts one latency into its bin of the bucket's histogram.</summary>
    public static Task RecordLatencyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Attribution where, DateTime bucket, double latencyMs, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO latency_histograms AS h (domain, bucket, model_version, variant, bin, count)
            VALUES (@Domain, @bucket, @ModelVersion, @Variant, @bin, 1)
            ON CONFLICT (domain, bucket, model_version, variant, bin) DO UPDATE SET count = h.count + 1
            """, new { where.Domain, bucket, where.ModelVersion, where.Variant, bin = LatencyHistogram.BinOf(latencyMs) }, tx, cancellationToken: ct));

    /// <summary>A domain's (every domain's when null) outcome counts per variant, model version and bucket in [from, until), experiments or not.</summary>
    public async Task<IReadOnlyList<BucketCounts>> BucketsAsync(string? domain, string? modelVersion, DateTime from, DateTime until, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<BucketCounts>(new CommandDefinition("""
            SELECT domain, variant, model_version AS ModelVersion, bucket,
                   COALESCE(sum(count) FILTER (WHERE metric = 'error_rate'), 0)::bigint AS Requests,
                   COALESCE(sum(successes) FILTER (WHERE metric = 'error_rate'), 0)::bigint AS Errors,
                   COALESCE(sum(count) FILTER (WHERE metric = 'latency_ms'), 0)::bigint AS Served,
                   COALESCE(sum(sum) FILTER (WHERE metric = 'latency_ms'), 0) AS LatencySum,
                   COALESCE(sum(count) FILTER (WHERE metric = 'accuracy'), 0)::bigint AS Judged,
                   COALESCE(sum(successes) FILTER (WHERE metric = 'accuracy'), 0)::bigint AS Correct,
                   COALESCE(sum(count) FILTER (WHERE metric = 'tokens_in'), 0)::bigint AS Priced,
                   COALESCE(sum(sum) FILTER (WHERE metric = 'tokens_in'), 0) AS TokensIn,
                   COALESCE(sum(sum) FILTER (WHERE metric = 'tokens_out'), 0) AS TokensOut
            FROM metric_aggregates
            WHERE (@domain::text IS NULL OR domain = @domain) AND bucket >= @from AND bucket < @until AND (@modelVersion::text IS NULL OR model_version = @modelVersion)
              AND metric IN ('error_rate', 'latency_ms', 'accuracy', 'tokens_in', 'tokens_out')
            GROUP BY domain, variant, model_version, bucket ORDER BY bucket, domain, model_version, variant
            """, new { domain, modelVersion, from, until }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>A domain's (every domain's when null) latency histogram bins per variant, model version and bucket in [from, until).</summary>
    public async Task<IReadOnlyList<HistogramCount>> HistogramsAsync(string? domain, string? modelVersion, DateTime from, DateTime until, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<HistogramCount>(new CommandDefinition("""
            SELECT domain, variant, model_version AS ModelVersion, bucket, bin, count
            FROM latency_histograms
            WHERE (@domain::text IS NULL OR domain = @domain) AND bucket >= @from AND bucket < @until AND (@modelVersion::text IS NULL OR model_version = @modelVersion)
            """, new { domain, modelVersion, from, until }, cancellationToken: ct));
        return rows.AsList();
    }

    private sealed record DomainAggregateRow
    {
        public string Domain { get; init; } = "";
        public string ModelVersion { get; init; } = "";
        public string Metric { get; init; } = "";
        public long Count { get; init; }
        public double Sum { get; init; }
        public double SumSquares { get; init; }
        public long Successes { get; init; }
    }
}
