namespace DomainPlatform.Deployment.Data;

/// <summary>A refusal the API reports as problem details (RFC 9457); nothing was written when it is thrown.</summary>
public sealed class DeploymentProblem(int status, string title, string detail, IDictionary<string, string[]>? errors = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IDictionary<string, string[]>? Errors { get; } = errors;

    public static DeploymentProblem NotFound(string what, string detail) => new(StatusCodes.Status404NotFound, $"{what} not found", detail);
    public static DeploymentProblem Conflict(string title, string detail) => new(StatusCodes.Status409Conflict, title, detail);
    public static DeploymentProblem Invalid(IDictionary<string, string[]> errors) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", string.Join(" ", errors.SelectMany(e => e.Value)), errors);
    public static DeploymentProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });
    public static DeploymentProblem Unprocessable(string title, string detail) => new(StatusCodes.Status422UnprocessableEntity, title, detail);
    public static DeploymentProblem BadGateway(string title, string detail) => new(StatusCodes.Status502BadGateway, title, detail);
}
