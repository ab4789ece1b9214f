using System.Security.Claims;
using DomainPlatform.Console.Gateway;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace DomainPlatform.Console.Components.Shared;

/// <summary>
/// A live page with operator actions: offered only to operator and admin keys (a viewer sees why not), each sent
/// with the user's key, so the gateway decides in the end; its answer (a 403 included) is shown on the page.
/// </summary>
public abstract class OperatorPage : LivePage
{
    [CascadingParameter] private Task<AuthenticationState> Authentication { get; set; } = default!;

    protected bool MayOperate { get; private set; }

    protected GatewayProblem? ActionProblem { get; set; }

    protected string? ActionDone { get; set; }

    protected bool Busy { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        var user = (await Authentication).User;
        MayOperate = user.MayOperate();
        await base.OnInitializedAsync();
    }

    /// <summary>Runs an action against the gateway, then reads the page again.</summary>
    protected async Task ActAsync(string done, Func<Task> action)
    {
        Busy = true;
        ActionProblem = null;
        ActionDone = null;
        try
        {
            await action();
            ActionDone = done;
        }
        catch (GatewayProblem problem)
        {
            ActionProblem = problem;
        }
        finally
        {
            Busy = false;
        }
        await RefreshAsync();
    }

    protected void ClearAction()
    {
        ActionProblem = null;
        ActionDone = null;
    }

    protected static string RoleOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role) ?? "";
}
