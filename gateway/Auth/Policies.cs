using Microsoft.AspNetCore.Authorization;

namespace DomainPlatform.Gateway.Auth;

/// <summary>
/// Who may do what, in one place. Management APIs: viewers read, operators and admins also write.
/// Inference (/v1): clients, operators and admins. The key API: admins only.
/// </summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string ManageApis = "manage";
    public const string ReadApis = "read";
    public const string Inference = "inference";

    /// <summary>YARP's name for a route that needs no authentication.</summary>
    public const string Anonymous = "anonymous";

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> RolesByPolicy { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        [Admin] = [Roles.Admin],
        [ManageApis] = [Roles.Admin, Roles.Operator],
        [ReadApis] = [Roles.Admin, Roles.Operator, Roles.Viewer],
        [Inference] = [Roles.Admin, Roles.Operator, Roles.Client],
    };

    /// <summary>Operators and admins may pin a request to a variant; clients may not choose their own treatment.</summary>
    public static bool MayForceVariant(string? role) => role is Roles.Admin or Roles.Operator;

    public static void AddGatewayPolicies(this AuthorizationOptions options)
    {
        foreach (var (policy, roles) in RolesByPolicy)
        {
            options.AddPolicy(policy, p => p.RequireAuthenticatedUser().RequireRole(roles));
        }
    }
}
