// The platform's topology, declared once. With UseExistingServers=true the AppHost runs without Docker
// against servers you already have, reading ConnectionStrings:<name> from its own configuration.
var builder = DistributedApplication.CreateBuilder(args);
var useExistingServers = builder.Configuration.GetValue<bool>("UseExistingServers");

var postgres = useExistingServers ? null : builder.AddPostgres("postgres").WithDataVolume();
IResourceBuilder<IResourceWithConnectionString> Database(string name) =>
    postgres is null ? builder.AddConnectionString(name) : postgres.AddDatabase(name);

IResourceBuilder<IResourceWithConnectionString> redis = useExistingServers
    ? builder.AddConnectionString("redis")
    : builder.AddRedis("redis");
IResourceBuilder<IResourceWithConnectionString> eventbus = useExistingServers
    ? builder.AddConnectionString("eventbus")
    : builder.AddRabbitMQ("eventbus").WithManagementPlugin();

var deployment = Service<Projects.Deployment>("deployment", "deploymentdb");
var experimentation = Service<Projects.Experimentation>("experimentation", "experimentationdb");
var extraction = Service<Projects.Extraction>("extraction", "extractiondb");
var training = Service<Projects.Training>("training", "trainingdb");
var inference = Service<Projects.Inference>("inference", "inferencedb");

// Services call each other over gRPC (deployment -> inference, experimentation; training -> deployment).
deployment.WithReference(inference.GetEndpoint("grpc")).WithReference(experimentation.GetEndpoint("grpc"));
training.WithReference(deployment.GetEndpoint("grpc")).WithReference(inference.GetEndpoint("grpc"));

var gatewayDb = Database("gatewaydb");
builder.AddProject<Projects.Gateway>("gateway")
    .WithReference(gatewayDb).WaitFor(gatewayDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(eventbus).WaitFor(eventbus)
    .WithReference(deployment).WithReference(deployment.GetEndpoint("grpc"))
    .WithReference(experimentation)
    .WithReference(extraction)
    .WithReference(training)
    .WithReference(inference)
    .WithExternalHttpEndpoints();

builder.Build().Run();

IResourceBuilder<ProjectResource> Service<TProject>(string name, string databaseName) where TProject : IProjectMetadata, new()
{
    var database = Database(databaseName);
    // Each service declares Kestrel:Endpoints "http" and "grpc" (Protocols Http2) in its appsettings.json;
    // Aspire turns them into endpoints of those names and injects Kestrel__Endpoints__<name>__Url.
    return builder.AddProject<TProject>(name)
        .WithReference(database).WaitFor(database)
        .WithReference(redis).WaitFor(redis)
        .WithReference(eventbus).WaitFor(eventbus);
}
