namespace DomainPlatform.Deployment.Domain;

public sealed record GateResult(bool Passed, IReadOnlyList<string> Failures)
{
    public string Summary => Passed ? "all deployment gates passed" : string.Join("; ", Failures);
}

/// <summary>Checks a version's evaluation metrics against a domain's deployment gates.</summary>
public static class DeploymentGateCheck
{
    public const string Accuracy = "accuracy";
    public const string LatencyMs = "latency_ms";
    public const string TrainingLoss = "training_loss";
    public const string ValidationLoss = "validation_loss";

    public static GateResult Evaluate(DeploymentGates gates, IReadOnlyDictionary<string, double> metrics)
    {
        var failures = new List<string>();
        Check(Accuracy, v => v >= gates.MinAccuracy, $">= {gates.MinAccuracy}");
        Check(LatencyMs, v => v <= gates.MaxLatencyMs, $"<= {gates.MaxLatencyMs}");
        Check(TrainingLoss, v => v <= gates.MaxTrainingLoss, $"<= {gates.MaxTrainingLoss}");
        Check(ValidationLoss, v => v <= gates.MaxValidationLoss, $"<= {gates.MaxValidationLoss}");
        return new GateResult(failures.Count == 0, failures);

        void Check(string metric, Func<double, bool> passes, string required)
        {
            // A missing or non-finite figure cannot prove the gate, so it fails it.
            if (!metrics.TryGetValue(metric, out var value) || !double.IsFinite(value)) failures.Add($"{metric} missing (required {required})");
            else if (!passes(value)) failures.Add($"{metric} {value} not {required}");
        }
    }
}
