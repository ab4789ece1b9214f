using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

public sealed class ExperimentationFactory() : ServiceFactory<Program>("experimentationdb");
