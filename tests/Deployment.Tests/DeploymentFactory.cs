using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

public sealed class DeploymentFactory() : ServiceFactory<Program>("deploymentdb");
