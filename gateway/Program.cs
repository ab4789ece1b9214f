using DomainPlatform.Gateway;
using DomainPlatform.Gateway.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApiIndexApi();
app.MapGatewayProxy();

app.Run();
