using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DomainPlatform.Extraction.Domain;

public sealed record TrainingExample(string Prompt, string Completion);

/// <summary>A stored source as the composer reads it.</summary>
public sealed record SourceMaterial(string Name, string Kind, string Content, string? Description);

/// <summary>Examples built from a set of sources, after redaction, with the redaction counts.</summary>
public sealed record ComposedDataset(IReadOnlyList<TrainingExample> Examples, IReadOnlyDictionary<PiiKind, int> Redactions);

/// <summary>
/// Turns sources into prompt/completion pairs with personal data redacted: a document gives one pair per
/// consecutive sentence pair (continuation), a table one pair per row (the other columns ask for the last one),
/// a SQL source one pair (its description asks for the query).
/// </summary>
public static partial class DatasetComposer
{
    [GeneratedRegex(@"(?<=[.!?])\s+|\r?\n+")]
    private static partial Regex SentenceBreak();

    private static readonly JsonSerializerOptions JsonlOptions = new(JsonSerializerDefaults.Web);

    public static ComposedDataset Compose(IEnumerable<SourceMaterial> sources)
    {
        var redactions = Enum.GetValues<PiiKind>().ToDictionary(k => k, _ => 0);
        string Clean(string text)
        {
            var redaction = PiiRedactor.Redact(text);
            foreach (var (kind, count) in redaction.Counts) redactions[kind] += count;
            return redaction.Text;
        }

        var examples = new List<TrainingExample>();
        foreach (var source in sources) examples.AddRange(ExamplesOf(source, Clean));
        return new ComposedDataset(examples, redactions);
    }

    private static IEnumerable<TrainingExample> ExamplesOf(SourceMaterial source, Func<string, string> clean)
    {
        switch (source.Kind)
        {
            case SourceKinds.Document:
                var sentences = SentenceBreak().Split(clean(source.Content)).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
                if (sentences.Count == 1) return [new TrainingExample($"Write the document \"{source.Name}\".", sentences[0])];
                return sentences.Zip(sentences.Skip(1), (prompt, completion) => new TrainingExample(prompt, completion)).ToList();
            case SourceKinds.Table:
                return SourceKinds.TableRows(source.Content).Select(row => RowExample(source.Name, row, clean)).ToList();
            case SourceKinds.Sql:
                var ask = source.Description is { Length: > 0 } d ? clean(d) : $"Write the SQL query \"{source.Name}\".";
                return [new TrainingExample(ask, clean(source.Content).Trim())];
            default:
                throw new FormatException($"Unknown source kind '{source.Kind}'.");
        }
    }

    private static TrainingExample RowExample(string table, List<(string Column, string Value)> row, Func<string, string> clean)
    {
        var (targetColumn, targetValue) = row[^1];
        var known = string.Join(", ", row.Take(row.Count - 1).Select(c => $"{c.Column} = {clean(c.Value)}"));
        var prompt = known.Length == 0 ? $"{table}: {targetColumn} =" : $"{table}: {known}. {targetColumn} =";
        return new TrainingExample(prompt, clean(targetValue));
    }

    /// <summary>One JSON object per line, {"prompt": ..., "completion": ...}, each line ending in '\n'.</summary>
    public static string ToJsonl(IEnumerable<TrainingExample> examples)
    {
        var builder = new StringBuilder();
        foreach (var example in examples) builder.Append(JsonSerializer.Serialize(example, JsonlOptions)).Append('\n');
        return builder.ToString();
    }
}
