using System.Globalization;
using System.Text.RegularExpressions;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>One sample of a scrape: its name, labels and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A metric family: the name its # TYPE line declares, its type and help, and its samples.</summary>
public sealed record PrometheusFamily(string Name, string Type, string? Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict parser of Prometheus' text exposition format 0.0.4: every line is a comment (# HELP, # TYPE, other),
/// blank, or a sample of a family declared by an earlier # TYPE; label values are escaped as the format says;
/// a histogram's buckets carry le, are cumulative and end at +Inf with its _count. Anything else throws, naming the line.
/// </summary>
public static partial class PrometheusText
{
    private const string Name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private const string Value = @"(?:[+-]?Inf|NaN|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)";

    [GeneratedRegex($@"^# HELP (?<name>{Name}) (?<help>.*)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex($@"^# TYPE (?<name>{Name}) (?<type>counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex($@"^(?<name>{Name})(?:\{{(?<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*"",?)*)\}})? (?<value>{Value})(?: (?<ts>-?\d+))?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\\n]|\\[\\""n])*)""")]
    private static partial Regex Label();

    public static IReadOnlyDictionary<string, PrometheusFamily> Parse(string text)
    {
        var families = new Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples)>();
        var helps = new Dictionary<string, string>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            if (HelpLine().Match(line) is { Success: true } help)
            {
                helps[help.Groups["name"].Value] = help.Groups["help"].Value;
            }
            else if (TypeLine().Match(line) is { Success: true } type)
            {
                var name = type.Groups["name"].Value;
                if (!families.TryAdd(name, (type.Groups["type"].Value, helps.GetValueOrDefault(name), [])))
                    throw new FormatException($"Line {lineNumber}: a second # TYPE for '{name}'.");
            }
            else if (line.StartsWith('#'))
            {
                // Any other comment is allowed by the format.
            }
            else if (SampleLine().Match(line) is { Success: true } sample)
            {
                var name = sample.Groups["name"].Value;
                var family = FamilyOf(name, families) ?? throw new FormatException($"Line {lineNumber}: sample '{name}' of no declared family.");
                var labels = new Dictionary<string, string>();
                foreach (Match label in Label().Matches(sample.Groups["labels"].Value))
                {
                    if (!labels.TryAdd(label.Groups["key"].Value, Unescape(label.Groups["value"].Value)))
                        throw new FormatException($"Line {lineNumber}: label '{label.Groups["key"].Value}' twice.");
                }
                families[family].Samples.Add(new PrometheusSample(name, labels, ParseValue(sample.Groups["value"].Value)));
            }
            else
            {
                throw new FormatException($"Line {lineNumber} is not in Prometheus' text format: {line}");
            }
        }

        var parsed = families.ToDictionary(f => f.Key, f => new PrometheusFamily(f.Key, f.Value.Type, f.Value.Help, f.Value.Samples));
        foreach (var family in parsed.Values.Where(f => f.Type == "histogram")) CheckHistogram(family);
        return parsed;
    }

    private static string? FamilyOf(string sample, Dictionary<string, (string Type, string? Help, List<PrometheusSample> Samples)> families)
    {
        if (families.ContainsKey(sample)) return sample;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(sample[..^suffix.Length], out var f) && f.Type is "histogram" or "summary")
                return sample[..^suffix.Length];
        }
        return null;
    }

    /// <summary>Each series' buckets (same labels but le) rise with le, and the +Inf bucket equals its _count.</summary>
    private static void CheckHistogram(PrometheusFamily family)
    {
        static string Key(PrometheusSample s) => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        var counts = family.Samples.Where(s => s.Name == family.Name + "_count").ToDictionary(Key, s => s.Value);
        foreach (var series in family.Samples.Where(s => s.Name == family.Name + "_bucket").GroupBy(Key))
        {
            var buckets = series.Select(s => (Le: s.Labels.TryGetValue("le", out var le) ? ParseValue(le) : throw new FormatException($"{family.Name}_bucket without le"), s.Value)).ToList();
            for (var i = 1; i < buckets.Count; i++)
            {
                if (buckets[i].Le <= buckets[i - 1].Le || buckets[i].Value < buckets[i - 1].Value)
                    throw new FormatException($"{family.Name}{{{series.Key}}}: buckets not rising at le={buckets[i].Le}.");
            }
            if (buckets[^1].Le != double.PositiveInfinity) throw new FormatException($"{family.Name}{{{series.Key}}}: no +Inf bucket.");
            if (!counts.TryGetValue(series.Key, out var count) || count != buckets[^1].Value)
                throw new FormatException($"{family.Name}{{{series.Key}}}: the +Inf bucket is not the _count.");
        }
    }

    private static double ParseValue(string value) => value switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Unescape(string value) => value.Replace(@"\n", "\n").Replace(@"\""", "\"").Replace(@"\\", "\\");
}
