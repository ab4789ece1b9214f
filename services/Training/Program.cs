using DomainPlatform.Training;
using DomainPlatform.Training.Apis;
using DomainPlatform.Training.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapGrpcService<TrainingJobsGrpcService>();
app.MapJobsApi();

app.Run();
