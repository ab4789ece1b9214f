using DomainPlatform.Console.Gateway;
using DomainPlatform.Console.Live;
using DomainPlatform.EventBus;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace DomainPlatform.Console;

internal static class Extensions
{
    /// <summary>The gateway's name in service discovery (<c>services__gateway__http__0</c>).</summary>
    public const string GatewayAddress = "http://gateway";

    /// <summary>The console's name on the event bus: its queue is <c>console-{random}</c>, one per process.</summary>
    public const string ServiceName = "console";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        // Signed in with an API key: the cookie (encrypted by data protection) holds the key, its name and its role.
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<ConsoleOptions>>((cookie, options) =>
            {
                cookie.LoginPath = "/signin";
                cookie.AccessDeniedPath = "/signin";
                cookie.Cookie.Name = "dp_console";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.ExpireTimeSpan = options.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
            });
        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();

        builder.Services.AddHttpClient(GatewayClient.HttpClientName, http =>
        {
            http.BaseAddress = new Uri(GatewayAddress);
            http.DefaultRequestHeaders.UserAgent.ParseAdd("dp-console/1");
        });
        builder.Services.AddScoped<GatewayClient>();
        // Live pages: platform events through the console's own queue reach the open pages that show what changed.
        builder.Services.AddSingleton<LiveChanges>();
        builder.AddEventSubscriber<LiveChanges>(ServiceName, ChangeMap.Consumed);
        builder.Services.TryAddSingletonTimeProvider();
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton(services, TimeProvider.System);

    /// <summary>
    /// <c>GET /reports/{id}/download?format=csv|json|html</c>: a report's content from the gateway with the signed-in key,
    /// as a file (HTML opens in the browser, to print). The gateway's refusal is passed on with its status.
    /// </summary>
    public static void MapReportDownload(this WebApplication app) =>
        app.MapGet("/reports/{id:guid}/download", async (Guid id, string? format, HttpContext http, GatewayClient gateway, CancellationToken ct) =>
        {
            var chosen = format is "csv" or "html" ? format : "json";
            if (http.User.FindFirst(ConsoleClaims.ApiKey)?.Value is not { Length: > 0 } key) return Results.Unauthorized();
            try
            {
                var (text, type) = await gateway.GetDocumentAsync($"api/reports/{id}/content?format={chosen}", key, ct);
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                return chosen == "html" ? Results.File(bytes, type) : Results.File(bytes, type, $"report-{id}.{chosen}");
            }
            catch (GatewayProblem problem)
            {
                return Results.Problem(title: problem.Title, detail: problem.Detail, statusCode: problem.Status);
            }
        }).RequireAuthorization();

    /// <summary><c>POST /signout</c>: ends the sign-in and goes back to the sign-in page.</summary>
    public static void MapSignOut(this WebApplication app) =>
        app.MapPost("/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect($"{context.Request.PathBase}/signin");
        }).RequireAuthorization();
}
