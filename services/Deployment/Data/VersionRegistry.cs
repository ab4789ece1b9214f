using Dapper;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

public sealed record RegisterVersionCommand(
    string Domain, string? Version, string? Bump, string? ArtifactPath, string? ArtifactSha256, long? ArtifactSizeBytes,
    IReadOnlyDictionary<string, double>? Metrics, string? TrainingRunId, string? DatasetId, string? BaseVersion, IReadOnlyList<string>? Tags,
    ServingSettings? Serving = null);

public sealed record ArtifactInfo(string Path, string Sha256, long SizeBytes);
public sealed record Lineage(string? TrainingRunId, string? DatasetId, string? BaseVersion);

public sealed record ModelVersionView
{
    public string Domain { get; init; } = "";
    public string Version { get; init; } = "";
    public string ModelId { get; init; } = "";
    public ArtifactInfo Artifact { get; init; } = new("", "", 0);
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public Lineage Lineage { get; init; } = new(null, null, null);
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<string> Aliases { get; init; } = [];
    /// <summary>How inference holds this version: what was registered, absent fields taking inference's defaults.</summary>
    public ServingSettings Serving { get; init; } = ServingSettings.Default;
    public bool GatesPassed { get; init; }
    public string GateReport { get; init; } = "";
    public string RegisteredBy { get; init; } = "";
    public DateTime CreatedAt { get; init; }
}

public sealed record VersionComparison(string Domain, string A, string B, IReadOnlyList<MetricDelta> Metrics);

/// <summary>Model versions per domain: semver, verified artifacts, metrics, lineage, aliases and tags.</summary>
public sealed class VersionRegistry(NpgsqlDataSource db, OutboxSignal signal)
{
    private const string Columns = """
        v.domain_id AS Domain, v.version, v.artifact_path AS ArtifactPath, v.artifact_sha256 AS ArtifactSha256, v.artifact_size AS ArtifactSize,
        v.metrics::text AS Metrics, v.serving::text AS Serving, v.training_run_id AS TrainingRunId, v.dataset_id AS DatasetId, v.base_version AS BaseVersion, v.tags,
        v.gates_passed AS GatesPassed, v.gate_report AS GateReport, v.registered_by AS RegisteredBy, v.created_at AS CreatedAt,
        COALESCE((SELECT array_agg(a.alias ORDER BY a.alias) FROM model_aliases a WHERE a.domain_id = v.domain_id AND a.version = v.version), '{}') AS Aliases
        """;

    public async Task<ModelVersionView> RegisterAsync(RegisterVersionCommand command, string actor, CancellationToken ct)
    {
        var artifact = await ValidateAndVerifyAsync(command, ct);
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var registered = await RegisterAsync(uow, command, artifact, actor, ct);
        await uow.CommitAsync(ct);
        return registered;
    }

    /// <summary>Checks the request's shape and the artifact file; throws problem details before anything is written.</summary>
    public static async Task<VerifiedArtifact> ValidateAndVerifyAsync(RegisterVersionCommand command, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!string.IsNullOrEmpty(command.Version) && !SemanticVersion.TryParse(command.Version, out _))
        {
            errors["version"] = [$"'{command.Version}' is not a semantic version: expected MAJOR.MINOR.PATCH, like 1.4.0."];
        }
        if (!string.IsNullOrEmpty(command.BaseVersion) && !SemanticVersion.TryParse(command.BaseVersion, out _))
        {
            errors["baseVersion"] = [$"'{command.BaseVersion}' is not a semantic version."];
        }
        try { SemanticVersion.ParseBump(command.Bump); }
        catch (FormatException ex) { errors["bump"] = [ex.Message]; }
        if (command.Metrics?.Values.Any(v => !double.IsFinite(v)) == true) errors["metrics"] = ["Metrics must be finite numbers."];
        if (command.Tags?.Any(string.IsNullOrWhiteSpace) == true) errors["tags"] = ["Tags cannot be blank."];
        foreach (var (field, messages) in ServingSettings.Validate(command.Serving)) errors[field] = messages;
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);
        return await ArtifactVerifier.VerifyAsync(command.ArtifactPath, command.ArtifactSha256, command.ArtifactSizeBytes, ct);
    }

    public static async Task<ModelVersionView> RegisterAsync(UnitOfWork uow, RegisterVersionCommand command, VerifiedArtifact artifact, string actor, CancellationToken ct)
    {
        // Locking the domain row serialises registrations, so two bumps never pick the same version.
        var domain = await DomainService.RequireAsync(uow, command.Domain, ct);
        if (domain.Status != DomainService.Active) throw DeploymentProblem.Conflict("Domain is archived", $"'{domain.Id}' is archived and takes no new versions.");

        SemanticVersion version;
        if (!string.IsNullOrEmpty(command.Version)) version = SemanticVersion.Parse(command.Version);
        else
        {
            var existing = await uow.QueryAsync<string>("SELECT version FROM model_versions WHERE domain_id = @Domain", new { command.Domain }, ct);
            version = existing.Count == 0
                ? SemanticVersion.Initial
                : existing.Select(SemanticVersion.Parse).Max().Bump(SemanticVersion.ParseBump(command.Bump));
        }

        var metrics = command.Metrics ?? new Dictionary<string, double>();
        // A fine-tune of a registered version is served as its base was, unless the registration says otherwise.
        var serving = command.Serving
            ?? (NullIfEmpty(command.BaseVersion) is { } baseVersion ? (await FindAsync(uow, command.Domain, baseVersion, ct))?.Serving : null)
            ?? ServingSettings.Default;
        var gates = DeploymentGateCheck.Evaluate(domain.Config.Gates, metrics);
        var inserted = await uow.ExecuteAsync("""
            INSERT INTO model_versions (domain_id, version, major, minor, patch, artifact_path, artifact_sha256, artifact_size, metrics,
                serving, training_run_id, dataset_id, base_version, tags, gates_passed, gate_report, registered_by)
            VALUES (@Domain, @Version, @Major, @Minor, @Patch, @Path, @Sha256, @SizeBytes, @Metrics::jsonb, @Serving::jsonb,
                @TrainingRunId, @DatasetId, @BaseVersion, @Tags, @GatesPassed, @GateReport, @actor)
            ON CONFLICT (domain_id, version) DO NOTHING
            """, new
        {
            command.Domain, Version = version.ToString(), version.Major, version.Minor, version.Patch, artifact.Path, artifact.Sha256, artifact.SizeBytes,
            Metrics = Json.Serialize(metrics), Serving = Json.Serialize(serving), command.TrainingRunId, command.DatasetId, BaseVersion = NullIfEmpty(command.BaseVersion),
            Tags = (command.Tags ?? []).Distinct().ToArray(), GatesPassed = gates.Passed, GateReport = gates.Summary, actor,
        }, ct);
        if (inserted == 0) throw DeploymentProblem.Conflict("Version already registered", $"'{command.Domain}' already has version {version}.");

        var view = (await FindAsync(uow, command.Domain, version.ToString(), ct))!;
        await AuditLog.WriteAsync(uow, actor, "model-version", RouteTableBuilder.ModelId(view.Domain, view.Version), "register", null, view, ct);
        return view;
    }

    public async Task<ModelVersionView?> GetAsync(string domain, string version, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM model_versions v WHERE v.domain_id = @domain AND v.version = @version", new { domain, version }, cancellationToken: ct));
        return row?.ToView();
    }

    public static async Task<ModelVersionView?> FindAsync(UnitOfWork uow, string domain, string version, CancellationToken ct) =>
        (await uow.QuerySingleOrDefaultAsync<VersionRow>(
            $"SELECT {Columns} FROM model_versions v WHERE v.domain_id = @domain AND v.version = @version", new { domain, version }, ct))?.ToView();

    public static async Task<ModelVersionView> RequireAsync(UnitOfWork uow, string domain, string version, CancellationToken ct) =>
        await FindAsync(uow, domain, version, ct)
        ?? throw DeploymentProblem.NotFound("Model version", $"'{domain}' has no version '{version}'.");

    /// <summary>The domain's versions, newest (highest semver) first.</summary>
    public async Task<IReadOnlyList<ModelVersionView>> HistoryAsync(string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM model_versions v WHERE v.domain_id = @domain ORDER BY v.major DESC, v.minor DESC, v.patch DESC",
            new { domain }, cancellationToken: ct));
        return rows.Select(r => r.ToView()).ToList();
    }

    public async Task<VersionComparison> CompareAsync(string domain, string a, string b, CancellationToken ct)
    {
        var first = await GetAsync(domain, a, ct) ?? throw DeploymentProblem.NotFound("Model version", $"'{domain}' has no version '{a}'.");
        var second = await GetAsync(domain, b, ct) ?? throw DeploymentProblem.NotFound("Model version", $"'{domain}' has no version '{b}'.");
        return new VersionComparison(domain, a, b, ModelComparison.Compare(first.Metrics, second.Metrics));
    }

    public async Task<ModelVersionView> SetAliasAsync(string domain, string alias, string? version, string actor, CancellationToken ct)
    {
        if (!AliasRules.IsValidName(alias)) throw DeploymentProblem.Invalid("alias", "An alias is 1-40 lowercase letters, digits, '-' or '_', starting with a letter.");
        if (AliasRules.IsManagedByDeployments(alias)) throw DeploymentProblem.Invalid("alias", $"'{alias}' follows deployments: deploy or roll out a version instead.");
        if (string.IsNullOrWhiteSpace(version)) throw DeploymentProblem.Invalid("version", "The version the alias points at is required.");

        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        await DomainService.RequireAsync(uow, domain, ct);
        var target = await RequireAsync(uow, domain, version, ct);
        var before = await uow.QuerySingleOrDefaultAsync<string>("SELECT version FROM model_aliases WHERE domain_id = @domain AND alias = @alias", new { domain, alias }, ct);
        await SetManagedAliasAsync(uow, domain, alias, version, ct);
        await AuditLog.WriteAsync(uow, actor, "alias", $"{domain}:{alias}", "set", before is null ? null : new { alias, version = before }, new { alias, version }, ct);
        await uow.CommitAsync(ct);
        return (await GetAsync(domain, target.Version, ct))!;
    }

    public async Task RemoveAliasAsync(string domain, string alias, string actor, CancellationToken ct)
    {
        if (AliasRules.IsManagedByDeployments(alias)) throw DeploymentProblem.Invalid("alias", $"'{alias}' follows deployments and cannot be removed by hand.");
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var before = await uow.QuerySingleOrDefaultAsync<string>(
            "DELETE FROM model_aliases WHERE domain_id = @domain AND alias = @alias RETURNING version", new { domain, alias }, ct)
            ?? throw DeploymentProblem.NotFound("Alias", $"'{domain}' has no alias '{alias}'.");
        await AuditLog.WriteAsync(uow, actor, "alias", $"{domain}:{alias}", "remove", new { alias, version = before }, null, ct);
        await uow.CommitAsync(ct);
    }

    public async Task<ModelVersionView> SetTagsAsync(string domain, string version, IReadOnlyList<string>? tags, string actor, CancellationToken ct)
    {
        if (tags is null || tags.Any(string.IsNullOrWhiteSpace)) throw DeploymentProblem.Invalid("tags", "Tags are a list of non-blank strings.");
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var before = await RequireAsync(uow, domain, version, ct);
        await uow.ExecuteAsync("UPDATE model_versions SET tags = @tags WHERE domain_id = @domain AND version = @version",
            new { domain, version, tags = tags.Distinct().ToArray() }, ct);
        var after = (await FindAsync(uow, domain, version, ct))!;
        await AuditLog.WriteAsync(uow, actor, "model-version", after.ModelId, "tags", before.Tags, after.Tags, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    public static Task SetManagedAliasAsync(UnitOfWork uow, string domain, string alias, string? version, CancellationToken ct) =>
        version is null
            ? uow.ExecuteAsync("DELETE FROM model_aliases WHERE domain_id = @domain AND alias = @alias", new { domain, alias }, ct)
            : uow.ExecuteAsync("""
                INSERT INTO model_aliases (domain_id, alias, version) VALUES (@domain, @alias, @version)
                ON CONFLICT (domain_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()
                """, new { domain, alias, version }, ct);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private sealed record VersionRow
    {
        public string Domain { get; init; } = "";
        public string Version { get; init; } = "";
        public string ArtifactPath { get; init; } = "";
        public string ArtifactSha256 { get; init; } = "";
        public long ArtifactSize { get; init; }
        public string? Metrics { get; init; }
        public string? Serving { get; init; }
        public string? TrainingRunId { get; init; }
        public string? DatasetId { get; init; }
        public string? BaseVersion { get; init; }
        public string[] Tags { get; init; } = [];
        public bool GatesPassed { get; init; }
        public string GateReport { get; init; } = "";
        public string RegisteredBy { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public string[] Aliases { get; init; } = [];

        public ModelVersionView ToView() => new()
        {
            Domain = Domain, Version = Version, ModelId = RouteTableBuilder.ModelId(Domain, Version),
            Artifact = new ArtifactInfo(ArtifactPath, ArtifactSha256, ArtifactSize),
            Metrics = Json.Deserialize<Dictionary<string, double>>(Metrics),
            Serving = Json.Deserialize<ServingSettings>(Serving),
            Lineage = new Lineage(TrainingRunId, DatasetId, BaseVersion), Tags = Tags, Aliases = Aliases,
            GatesPassed = GatesPassed, GateReport = GateReport, RegisteredBy = RegisteredBy, CreatedAt = CreatedAt,
        };
    }
}
