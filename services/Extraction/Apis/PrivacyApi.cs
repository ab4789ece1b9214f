using System.ComponentModel.DataAnnotations;
using DomainPlatform.Extraction.Data;
using DomainPlatform.Extraction.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Extraction.Apis;

public sealed record SetBudgetRequest([property: Required, Range(PrivacyAccountant.MinSettableEpsilon, PrivacyAccountant.MaxSettableEpsilon)] double? TotalEpsilon);

public static class PrivacyApi
{
    public static RouteGroupBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/privacy/budgets").WithTags("Privacy");

        api.MapGet("/{domain}", GetBudget).WithName("GetPrivacyBudget").WithSummary("A domain's ε budget: total, spent (basic composition) and remaining");
        api.MapPut("/{domain}", SetBudget).WithName("SetPrivacyBudget").WithSummary("Set a domain's total ε budget")
            .WithDescription("totalEpsilon is from 0.001 to 100. Refused (409) when the new total is below what the domain has already spent.");
        return api;
    }

    public static async Task<Results<Ok<PrivacyBudgetView>, ValidationProblem>> GetBudget(string domain, DatasetStore store, CancellationToken ct)
    {
        if (!SourceKinds.IsValidDomain(domain)) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["domain"] = [SourceKinds.DomainRule] });
        return TypedResults.Ok(await store.BudgetAsync(domain, ct));
    }

    public static async Task<Results<Ok<PrivacyBudgetView>, ValidationProblem, ProblemHttpResult>> SetBudget(
        string domain, SetBudgetRequest request, DatasetStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!SourceKinds.IsValidDomain(domain)) errors["domain"] = [SourceKinds.DomainRule];
        if (request.TotalEpsilon is not { } total || !PrivacyAccountant.IsSettableEpsilon(total)) errors["totalEpsilon"] = [$"totalEpsilon is {PrivacyAccountant.SettableRange}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        if (!await store.TrySetBudgetAsync(domain, request.TotalEpsilon!.Value, ct))
        {
            var current = await store.BudgetAsync(domain, ct);
            return TypedResults.Problem(title: "Budget below spending",
                detail: $"The domain '{domain}' has already spent ε {current.SpentEpsilon:0.###}; the total cannot be set to {request.TotalEpsilon:0.###}.",
                statusCode: StatusCodes.Status409Conflict);
        }
        return TypedResults.Ok(await store.BudgetAsync(domain, ct));
    }
}
