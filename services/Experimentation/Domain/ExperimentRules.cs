using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace DomainPlatform.Experimentation.Domain;

public sealed record VariantRequest(string? Name, string? ModelVersion, double? Weight);

public sealed record GuardrailRequest(string? Metric, double? MaxRelativeDegradation);

/// <summary>What a client asks for when it creates an experiment; absent optional fields take the defaults below.</summary>
public sealed record CreateExperimentRequest(
    [property: Required] string? Name,
    [property: Required] string? Domain,
    [property: Required] IReadOnlyList<VariantRequest>? Variants,
    string? PrimaryMetric,
    IReadOnlyList<GuardrailRequest>? GuardrailMetrics,
    [property: Range(ExperimentRules.MinEffect, ExperimentRules.MaxEffect)] double? MinimumDetectableEffect,
    [property: Range(ExperimentRules.MinAlpha, ExperimentRules.MaxAlpha, MaximumIsExclusive = true)] double? Alpha,
    [property: Range(0.5, 1d, MinimumIsExclusive = true, MaximumIsExclusive = true)] double? Power,
    [property: Range(2L, 1_000_000_000L)] long? MinSamples,
    [property: Range(0L, ExperimentRules.MaxPlannedDurationSeconds)] long? MinDurationSeconds,
    [property: AllowedValues("frequentist", "bayesian", "sequential")] string? AnalysisMethod,
    [property: AllowedValues("holm", "bh")] string? Correction,
    bool? DeployWinner,
    bool? StopOnGuardrail,
    SuccessCriteria? SuccessCriteria = null,
    FailureCriteria? FailureCriteria = null,
    [property: Range(1L, ExperimentRules.MaxPlannedDurationSeconds)] long? PlannedDurationSeconds = null);

/// <summary>A validated experiment design with every default applied.</summary>
public sealed record ExperimentDesignSpec(
    string Name,
    string Domain,
    IReadOnlyList<Variant> Variants,
    string PrimaryMetric,
    IReadOnlyList<Guardrail> Guardrails,
    double MinimumDetectableEffect,
    double Alpha,
    double Power,
    long MinSamples,
    long MinDurationSeconds,
    string Method,
    string Correction,
    bool DeployWinner,
    bool StopOnGuardrail)
{
    /// <summary>Success and failure criteria and the planned duration; none by default.</summary>
    public ExperimentCriteria Criteria { get; init; } = new();
}

/// <summary>Validation of experiment designs and weight changes, kept pure so every rule is unit-tested.</summary>
public static partial class ExperimentRules
{
    public const int MaxVariants = 26;
    public const int MaxTextLength = 200;
    /// <summary>The smallest relative effect an experiment may be sized for (0.1%); below it the sample size is astronomical.</summary>
    public const double MinEffect = 0.001;
    /// <summary>The largest relative effect (100%, a doubling or a halving of the control's value).</summary>
    public const double MaxEffect = 1;
    public const double MinAlpha = 1e-6;
    public const double MaxAlpha = 0.5;
    /// <summary>Weights are relative; a cap keeps their sum finite.</summary>
    public const double MaxWeight = 1_000_000;
    public static readonly IReadOnlyList<string> Methods = ["frequentist", "bayesian", "sequential"];
    public static readonly IReadOnlyList<string> Corrections = ["holm", "bh"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    public static (ExperimentDesignSpec? Spec, Dictionary<string, string[]> Errors) Validate(CreateExperimentRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["A name is required."];
        else if (TextRefusal(request.Name) is { } nameWhy) errors["name"] = [$"name {nameWhy}"];
        if (string.IsNullOrWhiteSpace(request.Domain)) errors["domain"] = ["A domain is required, like \"0x5678-SQLAgent\"."];
        else if (TextRefusal(request.Domain) is { } domainWhy) errors["domain"] = [$"domain {domainWhy}"];

        var variants = ValidateVariants(request.Variants, errors, "variants");

        var primary = request.PrimaryMetric ?? MetricCatalog.Accuracy;
        if (MetricCatalog.Find(primary) is null) errors["primaryMetric"] = [$"Unknown metric '{primary}'; known metrics: {MetricCatalog.Names}."];

        var guardrails = new List<Guardrail>();
        foreach (var (guardrail, i) in (request.GuardrailMetrics ?? []).Select((g, i) => (g, i)))
        {
            if (guardrail is null || MetricCatalog.Find(guardrail.Metric) is null)
                errors[$"guardrailMetrics[{i}].metric"] = [$"Unknown metric '{guardrail?.Metric}'; known metrics: {MetricCatalog.Names}."];
            else if (guardrail.Metric == primary)
                errors[$"guardrailMetrics[{i}].metric"] = ["The primary metric cannot also be a guardrail."];
            else if (guardrail.MaxRelativeDegradation is < 0 or >= 1 || guardrail.MaxRelativeDegradation is { } d && !double.IsFinite(d))
                errors[$"guardrailMetrics[{i}].maxRelativeDegradation"] = ["The tolerated degradation is a fraction in [0, 1)."];
            else if (guardrails.Any(g => g.Metric == guardrail.Metric))
                errors[$"guardrailMetrics[{i}].metric"] = [$"'{guardrail.Metric}' is listed twice."];
            else guardrails.Add(new Guardrail(guardrail.Metric!, guardrail.MaxRelativeDegradation ?? 0));
        }

        var mde = request.MinimumDetectableEffect ?? 0.05;
        if (!(mde is >= MinEffect and <= MaxEffect))
        {
            errors["minimumDetectableEffect"] = [$"The minimum detectable effect is a fraction of the control's value (0.05 = 5%) from {MinEffect} to {MaxEffect}."];
        }
        var alpha = request.Alpha ?? 0.05;
        if (!(alpha is >= MinAlpha and < MaxAlpha)) errors["alpha"] = [$"alpha is at least {MinAlpha:0.######} and below {MaxAlpha}."];
        var power = request.Power ?? 0.8;
        if (!(power > 0.5 && power < 1)) errors["power"] = ["power must lie strictly between 0.5 and 1."];
        var minSamples = request.MinSamples ?? 100;
        if (minSamples is < 2 or > 1_000_000_000) errors["minSamples"] = ["minSamples (per variant) must be between 2 and 1,000,000,000."];
        var minDuration = request.MinDurationSeconds ?? 0;
        if (minDuration is < 0 or > 366L * 24 * 3600) errors["minDurationSeconds"] = ["minDurationSeconds must be between 0 and one year."];
        var method = (request.AnalysisMethod ?? "frequentist").ToLowerInvariant();
        if (!Methods.Contains(method)) errors["analysisMethod"] = [$"analysisMethod is one of {string.Join(", ", Methods)}."];
        var correction = (request.Correction ?? "holm").ToLowerInvariant();
        if (!Corrections.Contains(correction)) errors["correction"] = [$"correction is one of {string.Join(", ", Corrections)}."];

        var criteria = ValidateCriteria(request, minDuration, errors);

        if (errors.Count > 0) return (null, errors);
        return (new ExperimentDesignSpec(request.Name!.Trim(), request.Domain!.Trim(), variants!, primary, guardrails, mde, alpha, power,
            minSamples, minDuration, method, correction, request.DeployWinner ?? false, request.StopOnGuardrail ?? true) { Criteria = criteria }, errors);
    }

    public const long MaxPlannedDurationSeconds = 366L * 24 * 3600;

    private static ExperimentCriteria ValidateCriteria(CreateExperimentRequest request, long minDuration, Dictionary<string, string[]> errors)
    {
        static bool Within(double? value, double low, double high, bool lowOpen = false, bool highOpen = false) =>
            value is not { } v || (double.IsFinite(v) && (lowOpen ? v > low : v >= low) && (highOpen ? v < high : v <= high));
        var success = request.SuccessCriteria ?? new SuccessCriteria();
        var failure = request.FailureCriteria ?? new FailureCriteria();
        if (!Within(success.MinImprovement, 0, 10))
            errors["successCriteria.minImprovement"] = ["minImprovement is the winner's least relative improvement over the control, from 0 to 10 (0.05 = 5%)."];
        if (!Within(success.MaxErrorRateIncrease, 0, 1, highOpen: true))
            errors["successCriteria.maxErrorRateIncrease"] = ["maxErrorRateIncrease is a fraction from 0 up to (not including) 1 (0.01 = 1 point above the control's error rate)."];
        if (!Within(success.MaxLatencyIncrease, 0, 100))
            errors["successCriteria.maxLatencyIncrease"] = ["maxLatencyIncrease is a relative increase over the control's mean latency, from 0 to 100 (0.2 = 20%)."];
        if (!Within(failure.MaxErrorRate, 0, 1, lowOpen: true))
            errors["failureCriteria.maxErrorRate"] = ["maxErrorRate is a fraction above 0 and at most 1."];
        if (!Within(failure.MaxLatencyMs, 0, 3_600_000, lowOpen: true))
            errors["failureCriteria.maxLatencyMs"] = ["maxLatencyMs is above 0 and at most 3,600,000 (an hour)."];
        if (failure.MaxConsecutiveErrors is < 1 or > 1_000_000)
            errors["failureCriteria.maxConsecutiveErrors"] = ["maxConsecutiveErrors is a count of failed requests in a row, from 1 to 1,000,000."];
        if (request.PlannedDurationSeconds is { } planned && (planned < 1 || planned > MaxPlannedDurationSeconds || planned < minDuration))
            errors["plannedDurationSeconds"] = ["plannedDurationSeconds is between 1 s and one year, and not below minDurationSeconds."];
        return new ExperimentCriteria { Success = success, Failure = failure, PlannedDurationSeconds = request.PlannedDurationSeconds };
    }

    /// <summary>New weights for the variants of an experiment, by variant name; every variant must be named once.</summary>
    public static (IReadOnlyList<Variant>? Variants, Dictionary<string, string[]> Errors) ChangeWeights(
        IReadOnlyList<Variant> current, IReadOnlyDictionary<string, double>? weights)
    {
        var errors = new Dictionary<string, string[]>();
        if (weights is null || weights.Count == 0)
        {
            errors["weights"] = ["Give a weight for every variant, e.g. {\"weights\": {\"control\": 50, \"treatment\": 50}}."];
            return (null, errors);
        }
        var problems = new List<string>();
        var unknown = weights.Keys.Where(k => current.All(v => v.Name != k)).ToArray();
        if (unknown.Length > 0) problems.Add($"Unknown variants: {string.Join(", ", unknown)}; the experiment has {string.Join(", ", current.Select(v => v.Name))}.");
        var missing = current.Where(v => !weights.ContainsKey(v.Name)).Select(v => v.Name).ToArray();
        if (missing.Length > 0) problems.Add($"Missing weights for: {string.Join(", ", missing)}.");
        if (weights.Values.Any(w => !double.IsFinite(w) || w < 0 || w > MaxWeight) || !(weights.Values.Sum() > 0))
            problems.Add($"Weights are numbers from 0 to {MaxWeight:0} with a positive sum.");
        if (problems.Count > 0) errors["weights"] = [.. problems];
        if (errors.Count > 0) return (null, errors);
        var total = weights.Values.Sum();
        return (current.Select(v => v with { Weight = 100 * weights[v.Name] / total }).ToArray(), errors);
    }

    /// <summary>Why a name is refused: control characters (a tab, a newline, an escape) or more than <see cref="MaxTextLength"/> characters.</summary>
    public static string? TextRefusal(string text) =>
        text.Length > MaxTextLength ? $"has at most {MaxTextLength} characters."
        : text.Any(char.IsControl) ? "cannot hold control characters (tabs, newlines, escapes)."
        : null;

    /// <summary>All traffic to the control (the first variant) at once.</summary>
    public static IReadOnlyList<Variant> AllToControl(IReadOnlyList<Variant> variants) =>
        variants.Select((v, i) => v with { Weight = i == 0 ? 100 : 0 }).ToArray();

    /// <summary>Why an action is not allowed in a status, or null when it is.</summary>
    public static string? Refusal(string status, string action) => (action, status) switch
    {
        ("start", ExperimentStatus.Draft) => null,
        ("start", _) => $"Only a draft experiment can start; this one is {status}.",
        ("stop" or "conclude" or "rollback", ExperimentStatus.Running) => null,
        ("stop" or "conclude" or "rollback", _) => $"Only a running experiment can {action}; this one is {status}.",
        ("weights", ExperimentStatus.Draft or ExperimentStatus.Running) => null,
        ("weights", _) => $"Weights of an experiment that is {status} cannot change.",
        _ => $"Unknown action '{action}'.",
    };

    private static IReadOnlyList<Variant>? ValidateVariants(IReadOnlyList<VariantRequest>? requested, Dictionary<string, string[]> errors, string field)
    {
        if (requested is null || requested.Count < 2)
        {
            errors[field] = ["An experiment needs at least two variants: the control first, then one or more treatments."];
            return null;
        }
        if (requested.Count > MaxVariants)
        {
            errors[field] = [$"At most {MaxVariants} variants."];
            return null;
        }
        var before = errors.Count;
        for (var i = 0; i < requested.Count; i++)
        {
            var v = requested[i];
            if (v is null || string.IsNullOrWhiteSpace(v.Name) || !NamePattern().IsMatch(v.Name))
                errors[$"{field}[{i}].name"] = ["A variant name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."];
            else if (requested.Take(i).Any(o => o?.Name == v.Name))
                errors[$"{field}[{i}].name"] = [$"Variant name '{v.Name}' is used twice."];
            if (v is null || string.IsNullOrWhiteSpace(v.ModelVersion))
                errors[$"{field}[{i}].modelVersion"] = ["Each variant names the model version it serves, like \"1.3.0\"."];
            if (v?.Weight is { } w && (!double.IsFinite(w) || w < 0 || w > MaxWeight))
                errors[$"{field}[{i}].weight"] = [$"A weight is a number from 0 to {MaxWeight:0}."];
        }
        if (errors.Count > before) return null;

        // Absent weights split the traffic evenly.
        var weights = requested.Select(v => v.Weight ?? 1.0).ToArray();
        if (requested.All(v => v.Weight is null)) weights = requested.Select(_ => 1.0).ToArray();
        else if (requested.Any(v => v.Weight is null))
        {
            errors[field] = ["Give a weight for every variant or for none (an even split)."];
            return null;
        }
        var total = weights.Sum();
        if (!(total > 0))
        {
            errors[field] = ["Weights must have a positive sum."];
            return null;
        }
        return requested.Select((v, i) => new Variant(v.Name!, v.ModelVersion!.Trim(), 100 * weights[i] / total)).ToArray();
    }
}
