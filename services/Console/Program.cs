using Microsoft.AspNetCore.HttpOverrides;
using DomainPlatform.Console;
using DomainPlatform.Console.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// Links and redirects name the gateway's host, not this process's: only the gateway reaches the console (as with X-Actor).
var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedProto };
forwarded.KnownIPNetworks.Clear();
forwarded.KnownProxies.Clear();
app.UseForwardedHeaders(forwarded);
// Served by the gateway at /console: the prefix is this app's path base, so links, assets and the hub carry it.
app.UsePathBase(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsoleOptions>>().Value.PathBase);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapSignOut();
app.MapReportDownload();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
