using DomainPlatform.Extraction;
using DomainPlatform.Extraction.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapSourcesApi();
app.MapProfilesApi();
app.MapDatasetsApi();
app.MapPrivacyApi();

app.Run();
