using DomainPlatform.Gateway;
using DomainPlatform.Gateway.Apis;
using DomainPlatform.Gateway.Auth;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseRequestBodyLimit();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApiIndexApi().AllowAnonymous();
app.MapKeysApi().RequireAuthorization(Policies.Admin);
app.MapGatewayProxy();

app.Run();
