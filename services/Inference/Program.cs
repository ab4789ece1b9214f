using DomainPlatform.Inference;
using DomainPlatform.Inference.Apis;
using DomainPlatform.Inference.Grpc;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapGrpcService<InferenceGrpcService>();
app.MapOpenAiApi();
app.MapModelsApi();

app.Run();
