using System.Text.Json;
using DomainPlatform.Extraction.Domain;

namespace DomainPlatform.Extraction.Tests;

public sealed class DatasetComposerTests
{
    [Fact]
    public void A_document_gives_one_continuation_pair_per_consecutive_sentences()
    {
        var composed = DatasetComposer.Compose([new SourceMaterial("guide", "document", "First step. Second step!\nThird step?", null)]);
        Assert.Equal([new TrainingExample("First step.", "Second step!"), new TrainingExample("Second step!", "Third step?")], composed.Examples);
    }

    [Fact]
    public void A_single_sentence_document_becomes_a_write_the_document_pair()
    {
        var example = Assert.Single(DatasetComposer.Compose([new SourceMaterial("memo", "document", "Only one line", null)]).Examples);
        Assert.Equal(new TrainingExample("Write the document \"memo\".", "Only one line"), example);
    }

    [Fact]
    public void A_table_row_asks_for_its_last_column_from_the_others()
    {
        var rows = """[{"customer":"ACME","amount":12.5,"status":"paid"},{"status":"open"}]""";
        var composed = DatasetComposer.Compose([new SourceMaterial("orders", "table", rows, null)]);
        Assert.Equal(
            [new TrainingExample("orders: customer = ACME, amount = 12.5. status =", "paid"), new TrainingExample("orders: status =", "open")],
            composed.Examples);
    }

    [Fact]
    public void A_sql_source_is_asked_for_by_its_description_or_its_name()
    {
        var composed = DatasetComposer.Compose(
        [
            new SourceMaterial("revenue", "sql", " SELECT sum(amount) FROM orders ", "Total revenue"),
            new SourceMaterial("count", "sql", "SELECT count(*) FROM orders", null),
        ]);
        Assert.Equal(
            [new TrainingExample("Total revenue", "SELECT sum(amount) FROM orders"), new TrainingExample("Write the SQL query \"count\".", "SELECT count(*) FROM orders")],
            composed.Examples);
    }

    [Fact]
    public void Personal_data_is_redacted_everywhere_and_counted()
    {
        var composed = DatasetComposer.Compose(
        [
            new SourceMaterial("d", "document", "Ask bob@corp.io. He is at 10.0.0.7.", null),
            new SourceMaterial("t", "table", """[{"email":"eve@corp.io","phone":"+1 415 555 2671"}]""", null),
            new SourceMaterial("s", "sql", "SELECT * FROM users WHERE email = 'amy@corp.io'", "Find amy@corp.io"),
        ]);
        var text = string.Join(' ', composed.Examples.Select(e => e.Prompt + " " + e.Completion));
        Assert.DoesNotContain("@corp.io", text);
        Assert.Equal(4, composed.Redactions[PiiKind.Email]);
        Assert.Equal(1, composed.Redactions[PiiKind.IpAddress]);
        Assert.Equal(1, composed.Redactions[PiiKind.Phone]);
    }

    [Fact]
    public void Broken_table_content_and_unknown_kinds_are_format_errors()
    {
        Assert.Throws<FormatException>(() => DatasetComposer.Compose([new SourceMaterial("t", "table", "[1]", null)]));
        Assert.Throws<FormatException>(() => DatasetComposer.Compose([new SourceMaterial("t", "pdf", "x", null)]));
    }

    [Fact]
    public void Jsonl_has_one_prompt_completion_object_per_line()
    {
        var jsonl = DatasetComposer.ToJsonl([new TrainingExample("a \"quoted\"\nline", "b"), new TrainingExample("c", "d")]);
        var lines = jsonl.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("a \"quoted\"\nline", first.GetProperty("prompt").GetString());
        Assert.Equal("b", first.GetProperty("completion").GetString());
    }
}
