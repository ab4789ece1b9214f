namespace DomainPlatform.Contracts.Events;

/// <summary>A privacy-checked training set for one domain was built and stored.</summary>
[EventName("domainplatform.dataset-ready")]
public sealed record DatasetReady(
    Guid DatasetId,
    string Domain,
    string Name,
    int ExampleCount,
    string Path,
    string Sha256,
    double? PrivacyEpsilon) : IntegrationEvent;
