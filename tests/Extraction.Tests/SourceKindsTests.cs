using System.Text.Json;
using DomainPlatform.Extraction.Domain;

namespace DomainPlatform.Extraction.Tests;

public sealed class SourceKindsTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Each_kind_stores_its_own_field()
    {
        Assert.Equal("text", SourceKinds.Validate("n", "document", "text", null, null, null).Content);
        Assert.Equal("SELECT 1", SourceKinds.Validate("n", "sql", null, null, "SELECT 1", null).Content);
        Assert.Equal("""[{"a":1}]""", SourceKinds.Validate("n", "table", null, Json("""[{"a":1}]"""), null, null).Content);
    }

    [Theory]
    [InlineData(null, "document", "name")]
    [InlineData("n", null, "kind")]
    [InlineData("n", "table", "rows")]
    [InlineData("n", "document", "text")]
    [InlineData("n", "sql", "query")]
    public void Missing_pieces_are_named(string? name, string? kind, string field) =>
        Assert.True(SourceKinds.Validate(name, kind, null, null, null, null).Errors.ContainsKey(field));

    [Theory]
    [InlineData("[]", "at least one row")]
    [InlineData("[{}]", "Row 0 has no columns")]
    [InlineData("[{\"a\":1},\"x\"]", "Row 1 is not a JSON object")]
    [InlineData("{\"a\":1}", "JSON array")]
    public void Table_rows_must_be_a_non_empty_array_of_objects(string rows, string message)
    {
        var errors = SourceKinds.Validate("n", "table", null, Json(rows), null, null).Errors;
        Assert.Contains(message, Assert.Single(errors["rows"]));
    }

    [Theory]
    [InlineData("0x5678-SQLAgent", true)]
    [InlineData("billing", true)]
    [InlineData("", false)]
    [InlineData("-lead", false)]
    [InlineData("has space", false)]
    public void Domains_follow_the_registry_id_rule(string domain, bool valid) => Assert.Equal(valid, SourceKinds.IsValidDomain(domain));

    [Fact]
    public void Detection_sees_table_columns_and_values_and_the_description()
    {
        var text = SourceKinds.DetectionText("table", """[{"invoice":"A-1","amount":3}]""", "billing export");
        Assert.Equal("billing export invoice A-1 amount 3", text);
    }
}
