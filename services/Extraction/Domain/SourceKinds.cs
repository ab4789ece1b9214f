using System.Text.Json;
using System.Text.RegularExpressions;

namespace DomainPlatform.Extraction.Domain;

/// <summary>The kinds of source the platform extracts from, and the validation of what each carries.</summary>
public static partial class SourceKinds
{
    public const string Document = "document";
    public const string Table = "table";
    public const string Sql = "sql";
    public static readonly IReadOnlyList<string> All = [Document, Table, Sql];

    public const int MaxNameLength = 200;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex DomainPattern();

    public static bool IsValidDomain(string? domain) => domain is not null && DomainPattern().IsMatch(domain);

    /// <summary>Why a source's or dataset's name is refused: too long, or holding control characters (tabs, newlines, escapes).</summary>
    public static string? NameRefusal(string name) =>
        name.Length > MaxNameLength ? $"A name is at most {MaxNameLength} characters."
        : name.Any(char.IsControl) ? "A name cannot hold control characters (tabs, newlines, escapes)."
        : null;

    public const string DomainRule = "A domain is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.";

    /// <summary>Checks a source request; the content it returns is what is stored (table rows as compact JSON).</summary>
    public static (Dictionary<string, string[]> Errors, string Content) Validate(string? name, string? kind, string? text, JsonElement? rows, string? query, string? domain)
    {
        var errors = new Dictionary<string, string[]>();
        var content = "";
        if (string.IsNullOrWhiteSpace(name)) errors["name"] = ["A name is required."];
        else if (NameRefusal(name) is { } why) errors["name"] = [why];
        if (domain is not null && !IsValidDomain(domain)) errors["domain"] = [DomainRule];

        switch (kind)
        {
            case Document when string.IsNullOrWhiteSpace(text):
                errors["text"] = ["A document source needs its text."];
                break;
            case Document:
                content = text!;
                break;
            case Table:
                if (TableRowsError(rows) is { } rowsError) errors["rows"] = [rowsError];
                else content = rows!.Value.GetRawText();
                break;
            case Sql when string.IsNullOrWhiteSpace(query):
                errors["query"] = ["A sql source needs the query text."];
                break;
            case Sql:
                content = query!;
                break;
            default:
                errors["kind"] = [$"kind must be one of: {string.Join(", ", All)}."];
                break;
        }
        return (errors, content);
    }

    private static string? TableRowsError(JsonElement? rows)
    {
        if (rows is not { ValueKind: JsonValueKind.Array } array) return "A table source needs rows: a JSON array of objects.";
        if (array.GetArrayLength() == 0) return "A table source needs at least one row.";
        var index = 0;
        foreach (var row in array.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Object) return $"Row {index} is not a JSON object.";
            if (!row.EnumerateObject().Any()) return $"Row {index} has no columns.";
            index++;
        }
        return null;
    }

    /// <summary>The words a detector should see: the text, the SQL, or the table's column names and values.</summary>
    public static string DetectionText(string kind, string content, string? description)
    {
        var body = kind == Table ? string.Join(' ', TableCells(content).Select(c => $"{c.Column} {c.Value}")) : content;
        return description is null ? body : $"{description} {body}";
    }

    /// <summary>The rows of a stored table as (column, value) lists, values as text (strings unquoted).</summary>
    public static IEnumerable<(string Column, string Value)> TableCells(string content) =>
        TableRows(content).SelectMany(r => r);

    public static List<List<(string Column, string Value)>> TableRows(string content)
    {
        using var document = JsonDocument.Parse(content);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("A table's content must be a JSON array of objects.");
        return document.RootElement.EnumerateArray()
            .Select(row => row.ValueKind == JsonValueKind.Object
                ? row.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())).ToList()
                : throw new FormatException("A table's content must be a JSON array of objects."))
            .ToList();
    }
}
