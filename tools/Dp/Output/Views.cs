using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DomainPlatform.Dp.Output;

/// <summary>Tables and detail grids made of API JSON. Cells are plain text: nothing the API says is read as markup.</summary>
public static class Views
{
    public static string Escape(string text) => Markup.Escape(text);

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(new Text(column, new Style(decoration: Decoration.Bold))));
        return table;
    }

    public static Table Row(this Table table, params string?[] cells)
    {
        table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "")));
        return table;
    }

    /// <summary>Label and value pairs, for one object.</summary>
    public static Grid Details(IEnumerable<(string Label, string? Value)> rows)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (label, value) in rows)
        {
            if (string.IsNullOrEmpty(value)) continue;
            grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), new Text(value));
        }
        return grid;
    }

    public static IRenderable Stack(params IRenderable?[] parts) => new Rows(parts.Where(p => p is not null).Select(p => p!));

    public static IRenderable Heading(string text) => new Text(text, new Style(decoration: Decoration.Bold | Decoration.Underline));

    public static IRenderable Empty(string what) => new Text($"no {what}", new Style(decoration: Decoration.Italic));

    public static IRenderable List(JsonElement items, string what, Table table, Action<Table, JsonElement> row)
    {
        if (items.ValueKind != JsonValueKind.Array || items.GetArrayLength() == 0) return Empty(what);
        foreach (var item in items.EnumerateArray()) row(table, item);
        return table;
    }

    /// <summary>Key/value pairs of a JSON object (metrics, gates) as "name value" on one line each.</summary>
    public static string Pairs(JsonElement element, string path) =>
        element.Get(path) is { ValueKind: JsonValueKind.Object } obj
            ? string.Join("\n", obj.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => $"{p.Name} {Json.Format(p.Value)}"))
            : "";

    public static string Percent(double? value) => value is { } v ? Json.Number(v) + "%" : "";

    public static string Seconds(double? seconds) => seconds switch
    {
        null => "",
        < 120 => $"{Json.Number(Math.Round(seconds.Value, 1))} s",
        < 7200 => $"{Json.Number(Math.Round(seconds.Value / 60, 1))} min",
        _ => $"{Json.Number(Math.Round(seconds.Value / 3600, 1))} h",
    };
}
