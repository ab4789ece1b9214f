using System.Globalization;
using System.Text.Json;

namespace DomainPlatform.Console.Gateway;

/// <summary>Reading API JSON for pages (as dp's tables do): a missing or null field is an empty text, never an exception.</summary>
public static class Json
{
    public static JsonElement? Get(this JsonElement element, string path)
    {
        var current = element;
        foreach (var name in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return null;
        }
        return current.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : current;
    }

    public static string Str(this JsonElement element, string path) => element.Get(path) is { } value ? Format(value) : "";

    public static double? Num(this JsonElement element, string path) =>
        element.Get(path) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : null;

    public static bool Bool(this JsonElement element, string path) => element.Get(path) is { ValueKind: JsonValueKind.True };

    public static IEnumerable<JsonElement> Items(this JsonElement element, string? path = null)
    {
        var list = path is null ? element : element.Get(path) ?? default;
        return list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];
    }

    public static DateTimeOffset? Time(this JsonElement element, string path) =>
        element.Get(path) is { ValueKind: JsonValueKind.String } value && value.TryGetDateTimeOffset(out var time) ? time.ToUniversalTime() : null;

    /// <summary>A time as UTC to the second (the API sends ISO 8601).</summary>
    public static string When(this JsonElement element, string path) =>
        element.Time(path) is { } time ? time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : element.Str(path);

    /// <summary>A time as UTC to the minute without the year (a table's narrow column; <see cref="When"/> in its title).</summary>
    public static string ShortWhen(this JsonElement element, string path) =>
        element.Time(path) is { } time ? time.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture) : element.Str(path);

    /// <summary>
    /// A readable handle of an id: its last 8 characters (the ids are UUIDv7, whose first characters are the time and
    /// so the same for everything made in the same minute).
    /// </summary>
    public static string ShortId(string id) => id.Length > 8 ? "…" + id[^8..] : id;

    public static string Number(double value) => value.ToString(Math.Abs(value) >= 1000 ? "0.#" : "0.####", CultureInfo.InvariantCulture);

    public static string Number(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    public static string Percent(double? value) => value is { } v ? Number(Math.Round(v, 2)) + "%" : "–";

    /// <summary>Bytes in binary units (KiB, MiB, GiB), three significant figures or so.</summary>
    public static string Bytes(double? bytes)
    {
        if (bytes is not { } b) return "–";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (Math.Abs(b) >= 1024 && unit < units.Length - 1)
        {
            b /= 1024;
            unit++;
        }
        return (unit == 0 ? b.ToString("0", CultureInfo.InvariantCulture) : b.ToString(Math.Abs(b) >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture)) + " " + units[unit];
    }

    public static string Seconds(double? seconds) => seconds switch
    {
        null => "–",
        < 90 => $"{seconds:0} s",
        < 5400 => $"{seconds / 60:0.#} min",
        _ => $"{seconds / 3600:0.#} h",
    };

    public static string Format(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => Number(value.GetDouble()),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(Format)),
        _ => value.GetRawText(),
    };
}
