using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace DomainPlatform.TestSupport;

/// <summary>One generated request: the path with its parameters filled in, the body (null: none) and why it must be refused (null: it may be accepted).</summary>
public sealed record FuzzRequest(HttpMethod Method, string Path, string? Body, string? Breaks)
{
    public override string ToString() => $"{Method} {Path} {Body ?? "(no body)"}{(Breaks is null ? "" : $"  [breaks: {Breaks}]")}";
}

/// <summary>What a test tells the fuzz about its service: plausible values by parameter or property name, operations to leave out (with why), bodies per operation.</summary>
public sealed record FuzzOptions
{
    /// <summary>
    /// Path parameter values, unescaped, by the path up to the parameter ("/api/rollouts/{id}") or else by its name
    /// ("domain" → an existing domain's id); the fuzz adds hostile ones.
    /// </summary>
    public IReadOnlyDictionary<string, Gen<string>> PathValues { get; init; } = new Dictionary<string, Gen<string>>();

    /// <summary>Plausible JSON values by property name ("version" → "\"1.0.0\""), used most of the time where a body has that property.</summary>
    public IReadOnlyDictionary<string, Gen<string>> PropertyValues { get; init; } = new Dictionary<string, Gen<string>>();

    /// <summary>Operations ("POST /api/jobs") left out, each with the reason the report shows.</summary>
    public IReadOnlyDictionary<string, string> Skip { get; init; } = new Dictionary<string, string>();

    /// <summary>Requests generated per operation (CsCheck iterations; a failure adds its shrinking runs).</summary>
    public long RequestsPerOperation { get; init; } = 60;

    public string DocumentPath { get; init; } = "/openapi/v1.json";
}

/// <summary>What one run covered and found.</summary>
public sealed class FuzzReport
{
    private readonly Dictionary<string, Dictionary<string, int>> _outcomes = [];

    public List<string> Operations { get; } = [];
    public List<string> Skipped { get; } = [];
    public List<string> Failures { get; } = [];
    public int Sent { get; private set; }
    public int SentBreaking { get; private set; }

    internal void Count(string operation, FuzzRequest request, HttpStatusCode status)
    {
        Sent++;
        if (request.Breaks is not null) SentBreaking++;
        var outcomes = _outcomes.TryGetValue(operation, out var o) ? o : _outcomes[operation] = [];
        var key = $"{(request.Breaks is null ? "valid" : "invalid")}:{(int)status}";
        outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
    }

    /// <summary>One line per operation with its answers ("valid:201×12 invalid:400×30"), then the totals.</summary>
    public string Summary(string service)
    {
        var lines = new StringBuilder();
        lines.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
            $"{service}: {Operations.Count} operations, {Sent} requests ({SentBreaking} breaking the schema or the input rules), {Failures.Count} failing operations");
        foreach (var operation in Operations)
        {
            var outcomes = _outcomes.GetValueOrDefault(operation) ?? [];
            lines.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"  {operation}: {string.Join(" ", outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}×{kv.Value}"))}");
        }
        foreach (var skipped in Skipped) lines.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  skipped {skipped}");
        return lines.ToString();
    }
}

/// <summary>
/// Reads a service's OpenAPI document at run time and, for every POST, PUT and PATCH, sends bodies generated from the
/// request schema (<see cref="SchemaBodies"/>): valid ones and ones that break it, with path parameters plausible or
/// hostile. The property: never a 5xx, never a 2xx for a request that breaks the schema or the input rules, and every
/// 4xx in its path's documented shape (<see cref="ProblemAssertions.NotInDocumentedShape"/>).
/// </summary>
public static class OpenApiFuzz
{
    private static readonly string[] Methods = ["post", "put", "patch"];

    public static async Task<FuzzReport> RunAsync(HttpClient client, FuzzOptions options, CancellationToken ct)
    {
        var document = JsonDocument.Parse(await client.GetStringAsync(options.DocumentPath, ct)).RootElement.Clone();
        var schemas = new SchemaBodies(document, options.PropertyValues);
        var report = new FuzzReport();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in Methods)
            {
                if (!path.Value.TryGetProperty(method, out var operation)) continue;
                var name = $"{method.ToUpperInvariant()} {path.Name}";
                if (options.Skip.TryGetValue(name, out var why))
                {
                    report.Skipped.Add($"{name}: {why}");
                    continue;
                }
                report.Operations.Add(name);
                var requests = Requests(schemas, new HttpMethod(method.ToUpperInvariant()), path.Name, path.Value, operation, options);
                try
                {
                    await requests.SampleAsync(request => CheckAsync(client, name, request, report, ct), iter: options.RequestsPerOperation, threads: 1);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    report.Failures.Add($"{name}: {ex.InnerException?.Message ?? ex.Message}\n{ex.Message}");
                }
            }
        }
        return report;
    }

    private static async Task CheckAsync(HttpClient client, string operation, FuzzRequest request, FuzzReport report, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is not null) message.Content = new StringContent(request.Body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(message, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        report.Count(operation, request, response.StatusCode);
        var status = (int)response.StatusCode;
        if (status >= 500) throw new InvalidOperationException($"{status} {text}");
        if (status >= 400 && ProblemAssertions.NotInDocumentedShape(request.Path, response, text) is { } shape) throw new InvalidOperationException($"{status}: {shape}");
        if (request.Breaks is not null && status is >= 200 and < 300) throw new InvalidOperationException($"{status} for a request that breaks the schema ({request.Breaks}): {text}");
    }

    private static Gen<FuzzRequest> Requests(SchemaBodies schemas, HttpMethod method, string template, JsonElement pathItem, JsonElement operation, FuzzOptions options)
    {
        var parameters = Parameters(pathItem).Concat(Parameters(operation)).Where(p => p.GetProperty("in").GetString() == "path").ToList();
        var path = Gen.Const((Path: template, Breaks: (string?)null));
        foreach (var parameter in parameters)
        {
            var name = parameter.GetProperty("name").GetString()!;
            var prefix = template[..(template.IndexOf($"{{{name}}}", StringComparison.Ordinal) + name.Length + 2)];
            var value = PathValue(schemas, prefix, name, parameter.TryGetProperty("schema", out var s) ? s : default, options);
            path = Gen.Select(path, value, (sofar, v) => (sofar.Path.Replace($"{{{name}}}", Uri.EscapeDataString(v.Value), StringComparison.Ordinal), sofar.Breaks ?? v.Breaks));
        }
        var body = Body(schemas, operation);
        return Gen.Select(path, body, (p, b) => new FuzzRequest(method, p.Path, b.Json, p.Breaks ?? b.Breaks));
    }

    private static IEnumerable<JsonElement> Parameters(JsonElement holder) =>
        holder.TryGetProperty("parameters", out var list) ? list.EnumerateArray() : [];

    private static Gen<(string Value, string? Breaks)> PathValue(SchemaBodies schemas, string prefix, string name, JsonElement schema, FuzzOptions options)
    {
        Gen<string> plausible;
        if (options.PathValues.TryGetValue(prefix, out var given) || options.PathValues.TryGetValue(name, out given)) plausible = given;
        else if (schema.ValueKind == JsonValueKind.Object && schemas.Resolve(schema).TryGetProperty("format", out var f) && f.GetString() == "uuid") plausible = Gen.Guid.Select(g => g.ToString());
        else if (schema.ValueKind == JsonValueKind.Object && schemas.Types(schema).Contains("integer")) plausible = Gen.Int[0, 1000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        else plausible = Gen.OneOf("demo", "sql-agent", "1.0.0");
        var hostile = Gen.OneOf<(string, string?)>(
            // (A NUL never reaches a service: Kestrel refuses it in the request line, and the in-memory test server throws.)
            ("a\tb", null), ("é😀", null), ("x y", null), (new string('x', 200), null), ("..", null), ("-1", null), (Guid.NewGuid().ToString(), null));
        return Gen.Frequency((7, plausible.Select(v => (v, (string?)null))), (1, hostile));
    }

    private static Gen<(string? Json, string? Breaks)> Body(SchemaBodies schemas, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var requestBody))
        {
            // An action that takes no body refuses one rather than ignoring it.
            return Gen.Frequency(
                (3, Gen.Const<(string?, string?)>((null, null))),
                (1, Gen.OneOf<(string?, string?)>(("{}", "a body where the operation takes none"), ("{\"reason\":\"x\"}", "a body where the operation takes none"))));
        }
        var required = requestBody.TryGetProperty("required", out var r) && r.GetBoolean();
        if (!requestBody.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json)
            || !json.TryGetProperty("schema", out var schema))
        {
            return Gen.Const<(string?, string?)>((null, null));
        }
        var valid = schemas.Valid(schema).Select(v => ((string?)v.Json, (string?)null));
        var ways = new List<(int, IGen<(string?, string?)>)> { (4, valid) };
        if (schemas.Invalid(schema) is { } invalid) ways.Add((4, invalid.Select(v => ((string?)v.Json, v.Breaks))));
        // Cut short: no JSON parser accepts it.
        ways.Add((1, Gen.Select(schemas.Valid(schema), Gen.Int[1, 2], (v, third) =>
            v.Json.Length > 1 ? ((string?)v.Json[..Math.Max(1, v.Json.Length * third / 3)], (string?)"broken JSON (cut short)") : ((string?)"{", (string?)"broken JSON"))));
        ways.Add((1, Gen.Const<(string?, string?)>((null, required ? "no body where one is required" : null))));
        return Gen.Frequency(ways.ToArray());
    }
}
