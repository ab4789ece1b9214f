namespace DomainPlatform.Training.Domain;

/// <summary>A job's life: queued → running → succeeded | failed | cancelled; a queued job can also be cancelled.</summary>
public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Queued, Running, Succeeded, Failed, Cancelled];

    public static bool IsTerminal(string state) => state is Succeeded or Failed or Cancelled;

    public static bool CanMove(string from, string to) => (from, to) switch
    {
        (Queued, Running or Cancelled) => true,
        (Running, Succeeded or Failed or Cancelled) => true,
        (Running, Queued) => true, // a restart re-queues a job its process was running
        _ => false,
    };
}
