using DomainPlatform.Experimentation;
using DomainPlatform.Experimentation.Apis;
using DomainPlatform.Experimentation.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapGrpcService<CanaryAnalysisGrpcService>();
app.MapExperimentsApi();
app.MapMetricsApi();
app.MapPerformanceApi();
app.MapHealthApi();
app.MapSeriesApi();
app.MapReportsApi();
app.MapAnalysisApi();
app.MapAlertsApi();
app.MapRoutingApi();

app.Run();
