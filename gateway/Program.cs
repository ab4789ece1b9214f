using DomainPlatform.Gateway;
using DomainPlatform.Gateway.Apis;
using DomainPlatform.Gateway.Auth;
using DomainPlatform.Gateway.Limits;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseRequestBodyLimit();
app.UseAuthentication();
app.UseAuthorization();
app.UseKeyRateLimits();

app.MapOpenApiIndexApi().AllowAnonymous();
app.MapKeysApi().RequireAuthorization(Policies.Admin);
app.MapCurrentKeyApi().RequireAuthorization();
app.MapFeedbackApi().RequireAuthorization(Policies.Inference);
app.MapModelsApi().RequireAuthorization(Policies.Inference);
app.MapUnknownOpenAiPaths().RequireAuthorization(Policies.Inference);
app.MapGatewayProxy();

app.Run();
