using System.Security.Claims;
using System.Text.Encodings.Web;
using DomainPlatform.Gateway.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Gateway.Auth;

/// <summary>
/// Authenticates a request by its API key (Bearer or X-Api-Key) and answers 401/403 as problem details.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "api_key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = ApiKeys.ReadPresented(Request.Headers.Authorization, Request.Headers[ApiKeys.HeaderName]);
        if (presented is null) return AuthenticateResult.NoResult();

        var key = await keys.FindActiveAsync(ApiKeys.Hash(presented), Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("The API key is not valid: it is unknown or has been revoked.");

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, key.Id.ToString()),
                new Claim(KeyIdClaim, key.Id.ToString()),
                new Claim(ClaimTypes.Name, key.Name),
                new Claim(ClaimTypes.Role, key.Role),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message
            ?? $"This endpoint needs an API key: send 'Authorization: Bearer <key>' or '{ApiKeys.HeaderName}: <key>'.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized", Detail = detail },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Context.User.FindFirstValue(ClaimTypes.Role) ?? "none";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden, Title = "Forbidden",
                Detail = $"The role '{role}' may not {Request.Method} {Request.Path}.",
            },
        });
    }
}
