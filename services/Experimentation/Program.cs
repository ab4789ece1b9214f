using DomainPlatform.Experimentation;
using DomainPlatform.Experimentation.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapExperimentsApi();
app.MapMetricsApi();
app.MapAnalysisApi();

app.Run();
