using DomainPlatform.Deployment;
using DomainPlatform.Deployment.Apis;
using DomainPlatform.Deployment.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapGrpcService<ModelRegistryGrpcService>();
app.MapDomainsApi();

app.Run();
