using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;

namespace DomainPlatform.TestSupport;

/// <summary>A JSON text generated from a schema and, when it breaks the schema or the platform's input rules, why (null when valid).</summary>
public sealed record SchemaValue(string Json, string? Breaks)
{
    public override string ToString() => Breaks is null ? Json : $"{Json}  [breaks: {Breaks}]";
}

/// <summary>
/// Generates JSON values from the schemas of an OpenAPI 3.1 document (JSON Schema: $ref, type or type lists, enum,
/// properties, required, items, additionalProperties, anyOf/oneOf/allOf, minimum/maximum, minLength/maxLength,
/// pattern, formats): valid ones, and invalid ones that break exactly what the schema or the platform's input rules
/// say (a required property missing, a wrong type, a value outside the enum or the documented range, a NUL or a lone
/// surrogate in any text, a number beyond double, null where null is not allowed).
/// </summary>
public sealed class SchemaBodies(JsonElement document, IReadOnlyDictionary<string, Gen<string>>? hints = null)
{
    private const int MaxDepth = 5;
    private readonly IReadOnlyDictionary<string, Gen<string>> _hints = hints ?? new Dictionary<string, Gen<string>>();

    private static readonly string[] PlausibleTexts =
    [
        "demo", "sql-agent", "1.0.0", "x", "Every SQL query with a join needs an index.", "tab\there", "ünïcödé 😀", "",
        "   ", new string('x', 300), "\u001b[31mred", "NaN", "0", "..", "a/b", "<script>", "' OR 1=1 --", "null",
    ];

    /// <summary>The JSON texts a service must refuse in any text field, whatever the schema says.</summary>
    private static readonly (string Json, string Why)[] RefusedTexts =
    [
        ("\"a\\u0000b\"", "a NUL in a text"), ("\"\\ud800\"", "a lone surrogate in a text"), ("\"x\\udc00y\"", "a lone surrogate in a text"),
    ];

    public JsonElement Resolve(JsonElement schema)
    {
        for (var hops = 0; schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference); hops++)
        {
            if (hops > 16) throw new InvalidOperationException($"$ref loop at {reference}");
            var target = document;
            foreach (var part in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = target.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
            }
            schema = target;
        }
        return schema;
    }

    /// <summary>The JSON types a schema allows ("any" when it names none and has no structure).</summary>
    public IReadOnlyList<string> Types(JsonElement schema)
    {
        schema = Resolve(schema);
        if (schema.ValueKind != JsonValueKind.Object) return ["any"];
        if (schema.TryGetProperty("type", out var type))
        {
            return type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
        }
        if (schema.TryGetProperty("properties", out _)) return ["object"];
        if (schema.TryGetProperty("items", out _)) return ["array"];
        if (schema.TryGetProperty("enum", out var values)) return values.EnumerateArray().Select(JsonTypeOf).Distinct().ToList();
        return ["any"];
    }

    /// <summary>Values the schema accepts; <paramref name="name"/> is the property's name, for the test's hints.</summary>
    public Gen<SchemaValue> Valid(JsonElement schema, string? name = null, int depth = 0)
    {
        var generic = ValidGeneric(Resolve(schema), depth);
        return name is not null && _hints.TryGetValue(name, out var hint)
            ? Gen.Frequency((3, hint.Select(json => new SchemaValue(json, null))), (1, generic))
            : generic;
    }

    private Gen<SchemaValue> ValidGeneric(JsonElement schema, int depth)
    {
        if (Branches(schema) is { } branches) return Gen.OneOf(branches.Select(b => Valid(b, null, depth)).ToArray());
        if (schema.TryGetProperty("enum", out var values)) return Gen.OneOf(values.EnumerateArray().Select(v => new SchemaValue(v.GetRawText(), null)).ToArray());
        var types = Types(schema);
        // null now and then where it is allowed; mostly a real value so the body gets further.
        var real = types.Where(t => t != "null").Select(t => ValidOfType(schema, t, depth)).ToArray();
        if (real.Length == 0) return Gen.Const(new SchemaValue("null", null));
        var value = Gen.OneOf(real);
        return types.Contains("null") ? Gen.Frequency((5, value), (1, Gen.Const(new SchemaValue("null", null)))) : value;
    }

    private Gen<SchemaValue> ValidOfType(JsonElement schema, string type, int depth) => type switch
    {
        "string" => ValidString(schema),
        "number" => ValidNumber(schema, integer: false),
        "integer" => ValidNumber(schema, integer: true),
        "boolean" => Gen.OneOf(new SchemaValue("true", null), new SchemaValue("false", null)),
        "array" => ValidArray(schema, depth),
        "object" => ValidObject(schema, depth),
        _ => AnyValue(depth),
    };

    /// <summary>Free-form JSON: text, numbers, booleans, null, and small objects and lists of them.</summary>
    private static Gen<SchemaValue> AnyValue(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.OneOf(PlausibleTexts).Select(t => new SchemaValue(JsonSerializer.Serialize(t), null)),
            Gen.Double[-1e6, 1e6].Select(d => new SchemaValue(Number(d), null)),
            Gen.OneOf(new SchemaValue("true", null), new SchemaValue("null", null)));
        if (depth >= MaxDepth) return scalar;
        return Gen.Frequency(
            (4, scalar),
            (1, scalar.Array[0, 3].Select(items => new SchemaValue($"[{string.Join(",", items.Select(i => i.Json))}]", null))),
            (1, Gen.Select(Gen.OneOf("a", "b", "customer", "amount"), scalar, (k, v) => new SchemaValue($"{{\"{k}\":{v.Json}}}", null))));
    }

    private static Gen<SchemaValue> ValidString(JsonElement schema)
    {
        var format = Text(schema, "format");
        if (format == "uuid") return Gen.Guid.Select(g => new SchemaValue($"\"{g}\"", null));
        if (format == "date-time") return Gen.Const(new SchemaValue("\"2026-12-01T12:00:00Z\"", null));
        var min = Int(schema, "minLength") ?? 0;
        var max = Int(schema, "maxLength") ?? int.MaxValue;
        var pattern = Text(schema, "pattern") is { } p ? new Regex(p, RegexOptions.None, TimeSpan.FromSeconds(1)) : null;
        var numbers = Enumerable.Range(0, 5).Select(i => ((long)Math.Pow(10, i * 2)).ToString(CultureInfo.InvariantCulture)).Append("-7").Append("0.5");
        var pool = PlausibleTexts.Concat(numbers).Where(t => t.Length >= min && t.Length <= max && (pattern is null || pattern.IsMatch(t))).ToArray();
        var random = Gen.Char.Array[min, Math.Min(max, Math.Max(min, 12))]
            .Select(chars => new string(chars))
            .Where(t => JsonInputRulesMirror.Acceptable(t) && (pattern is null || pattern.IsMatch(t)));
        if (pool.Length == 0) return random.Select(t => new SchemaValue(Escaped(t), null));
        var plausible = Gen.OneOf(pool).Select(t => new SchemaValue(JsonSerializer.Serialize(t), null));
        return pattern is null ? Gen.Frequency((3, plausible), (1, random.Select(t => new SchemaValue(Escaped(t), null)))) : plausible;
    }

    private static Gen<SchemaValue> ValidNumber(JsonElement schema, bool integer)
    {
        var (low, high) = Range(schema, integer);
        var edges = new List<double> { low, high };
        if (!integer) edges.AddRange([0, 1, -1, 0.5, 1e-320, 1e30, -1e30, 1e308]);
        else edges.AddRange([0, 1, 2, -1, 10, 100, 1000]);
        var inRange = edges.Where(v => v >= low && v <= high && Within(schema, v)).Distinct().ToArray();
        Gen<double> uniform = integer
            ? Gen.Long[(long)Math.Max(low, long.MinValue), (long)Math.Min(high, long.MaxValue)].Select(l => (double)l)
            : Gen.Double[Math.Max(low, -1e9), Math.Min(high, 1e9)];
        var values = inRange.Length == 0 ? uniform : Gen.Frequency((1, Gen.OneOf(inRange)), (1, uniform));
        return values.Where(v => Within(schema, v)).Select(v => new SchemaValue(integer ? Integer(v) : Number(v), null));
    }

    private Gen<SchemaValue> ValidArray(JsonElement schema, int depth)
    {
        var min = Int(schema, "minItems") ?? 0;
        var max = Math.Min(Int(schema, "maxItems") ?? 4, Math.Max(min, depth >= MaxDepth ? min : 4));
        var items = schema.TryGetProperty("items", out var itemSchema) ? Valid(itemSchema, null, depth + 1) : AnyValue(depth + 1);
        return items.Array[min, max].Select(list => new SchemaValue($"[{string.Join(",", list.Select(i => i.Json))}]", null));
    }

    private Gen<SchemaValue> ValidObject(JsonElement schema, int depth)
    {
        var required = Required(schema);
        var properties = Properties(schema);
        var body = Gen.Const(new List<string>());
        foreach (var (name, propertySchema) in properties)
        {
            if (depth >= MaxDepth && !required.Contains(name)) continue;
            var value = Valid(propertySchema, name, depth + 1);
            var isRequired = required.Contains(name);
            body = Gen.Select(body, Gen.Int[0, 2], value, (sofar, present, v) =>
                isRequired || present > 0 ? [.. sofar, $"{JsonSerializer.Serialize(name)}:{v.Json}"] : sofar);
        }
        if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object && depth < MaxDepth)
        {
            var entry = Gen.Select(Gen.OneOf("accuracy", "latency_ms", "k", "ünï"), Valid(extra, null, depth + 1), (k, v) => $"{JsonSerializer.Serialize(k)}:{v.Json}");
            body = Gen.Select(body, entry.Array[0, 3], (sofar, entries) => sofar.Concat(entries.DistinctBy(e => e[..e.IndexOf(':', StringComparison.Ordinal)])).ToList());
        }
        return body.Select(members => new SchemaValue($"{{{string.Join(",", members)}}}", null));
    }

    /// <summary>Values that break the schema or the input rules, each with why; null when nothing about the schema can be broken.</summary>
    public Gen<SchemaValue>? Invalid(JsonElement schema, int depth = 0)
    {
        schema = Resolve(schema);
        var ways = new List<Gen<SchemaValue>>();
        if (Branches(schema) is { } branches)
        {
            // Only what breaks every branch: refused text and numbers, or a type no branch takes.
            var allTypes = branches.SelectMany(Types).ToHashSet();
            if (!allTypes.Contains("any")) ways.Add(WrongType(allTypes));
            return ways.Count == 0 ? null : Gen.OneOf(ways.ToArray());
        }
        var types = Types(schema).ToHashSet();
        if (types.Contains("any"))
        {
            ways.Add(Gen.OneOf(RefusedTexts.Select(t => new SchemaValue(t.Json, t.Why)).ToArray()));
            ways.Add(Gen.OneOf(new SchemaValue("1e400", "a number beyond double"), new SchemaValue("[1,-1e400]", "a number beyond double")));
            ways.Add(Gen.OneOf(RefusedTexts.Select(t => new SchemaValue($"{{{t.Json}:1}}", $"{t.Why} (a property name)")).ToArray()));
            return Gen.OneOf(ways.ToArray());
        }
        ways.Add(WrongType(types));
        if (schema.TryGetProperty("enum", out var values))
        {
            var known = values.EnumerateArray().Select(v => v.GetRawText()).ToHashSet();
            var outside = new[] { "\"exploded\"", "\"Running \"", "\"\"" }.Where(v => !known.Contains(v)).ToArray();
            ways.Add(Gen.OneOf(outside.Select(v => new SchemaValue(v, $"{v} is not one of the enum {string.Join(",", known)}")).ToArray()));
        }
        if (types.Contains("string"))
        {
            ways.Add(Gen.OneOf(RefusedTexts.Select(t => new SchemaValue(t.Json, t.Why)).ToArray()));
            if (Int(schema, "maxLength") is { } max) ways.Add(Gen.Const(new SchemaValue(JsonSerializer.Serialize(new string('x', max + 1)), $"longer than maxLength {max}")));
            if (Int(schema, "minLength") is > 0 and var min) ways.Add(Gen.Const(new SchemaValue(JsonSerializer.Serialize(new string('x', min - 1)), $"shorter than minLength {min}")));
            if (Text(schema, "format") == "uuid") ways.Add(Gen.Const(new SchemaValue("\"not-a-uuid\"", "not a uuid")));
            if (Text(schema, "pattern") is { } pattern)
            {
                var misfits = new[] { "abc", "1.5e", "--1", "" }.Where(t => !Regex.IsMatch(t, pattern, RegexOptions.None, TimeSpan.FromSeconds(1))).ToArray();
                if (misfits.Length > 0) ways.Add(Gen.OneOf(misfits.Select(t => new SchemaValue(JsonSerializer.Serialize(t), $"'{t}' does not match {pattern}")).ToArray()));
            }
        }
        if (types.Contains("number") || types.Contains("integer")) ways.Add(OutOfRange(schema, types.Contains("integer") && !types.Contains("number")));
        if (depth < MaxDepth && types.Contains("array") && schema.TryGetProperty("items", out var items) && Invalid(items, depth + 1) is { } badItem)
        {
            ways.Add(Gen.Select(ValidArray(schema, depth), badItem, (list, bad) =>
                new SchemaValue(list.Json == "[]" ? $"[{bad.Json}]" : $"[{bad.Json},{list.Json[1..]}", $"[0]: {bad.Breaks}")));
        }
        if (types.Contains("object") && depth < MaxDepth) ways.AddRange(InvalidObject(schema, depth));
        return Gen.OneOf(ways.ToArray());
    }

    private IEnumerable<Gen<SchemaValue>> InvalidObject(JsonElement schema, int depth)
    {
        var required = Required(schema);
        var properties = Properties(schema);
        var valid = ValidObject(schema, depth);
        foreach (var name in required)
        {
            yield return valid.Select(v => new SchemaValue(Without(v.Json, name), $"the required '{name}' is missing"));
        }
        foreach (var (name, propertySchema) in properties)
        {
            if (Invalid(propertySchema, depth + 1) is not { } bad) continue;
            yield return Gen.Select(valid, bad, (v, b) => new SchemaValue(With(Without(v.Json, name), name, b.Json), $"{name}: {b.Breaks}"));
        }
        if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object)
        {
            if (Invalid(extra, depth + 1) is { } badValue) yield return Gen.Select(valid, badValue, (v, b) => new SchemaValue(With(v.Json, "fuzzed", b.Json), $"fuzzed: {b.Breaks}"));
            yield return Gen.Select(valid, Gen.OneOf(RefusedTexts), Valid(extra, null, depth + 1), (v, key, value) =>
                new SchemaValue(With(v.Json, key.Json, value.Json, rawName: true), $"{key.Why} (a property name)"));
        }
    }

    private static Gen<SchemaValue> WrongType(IReadOnlySet<string> allowed)
    {
        var candidates = new List<(string Json, string Type)>
        {
            ("\"abc\"", "string"), ("42", "integer"), ("true", "boolean"), ("{}", "object"), ("[]", "array"), ("null", "null"),
        };
        if (allowed.Contains("integer") && !allowed.Contains("number")) candidates.Add(("1.5", "number"));
        var wrong = candidates.Where(c => !allowed.Contains(c.Type) && !(c.Type == "integer" && allowed.Contains("number"))).ToArray();
        return Gen.OneOf(wrong.Select(c => new SchemaValue(c.Json, $"a {c.Type} where the schema wants {string.Join("|", allowed)}")).ToArray());
    }

    private static Gen<SchemaValue> OutOfRange(JsonElement schema, bool integer)
    {
        var (low, high) = Range(schema, integer);
        var ways = new List<SchemaValue> { new("1e400", "a number beyond double"), new("-1e400", "a number beyond double") };
        // The type's own edges are no documented range: only what the schema says (minimum, maximum, format) counts.
        if (Number(schema, "minimum") is not null || Number(schema, "exclusiveMinimum") is not null || integer)
        {
            ways.Add(new(integer ? Integer(Below(low)) : Number(Below(low)), $"below the minimum {low}"));
        }
        if (Number(schema, "maximum") is not null || Number(schema, "exclusiveMaximum") is not null || integer)
        {
            ways.Add(new(integer ? Integer(Above(high)) : Number(Above(high)), $"above the maximum {high}"));
        }
        if (Text(schema, "format") == "float") ways.Add(new("1e39", "beyond a float"));
        return Gen.OneOf(ways.ToArray());

        static double Below(double low) => low - Math.Max(1, Math.Abs(low) * 0.5);
        static double Above(double high) => high + Math.Max(1, Math.Abs(high) * 0.5);
    }

    private static (double Low, double High) Range(JsonElement schema, bool integer)
    {
        var (typeLow, typeHigh) = Text(schema, "format") switch
        {
            "int32" => (int.MinValue, int.MaxValue),
            "int64" => ((double)long.MinValue, (double)long.MaxValue),
            "float" => (float.MinValue, float.MaxValue),
            _ => integer ? ((double)long.MinValue, (double)long.MaxValue) : (double.MinValue, double.MaxValue),
        };
        var low = Math.Max(Number(schema, "minimum") ?? typeLow, Number(schema, "exclusiveMinimum") is { } el ? el + (integer ? 1 : 1e-9) : typeLow);
        var high = Math.Min(Number(schema, "maximum") ?? typeHigh, Number(schema, "exclusiveMaximum") is { } eh ? eh - (integer ? 1 : 1e-9) : typeHigh);
        return (low, high);
    }

    private static bool Within(JsonElement schema, double v) =>
        (Number(schema, "minimum") is not { } min || v >= min) && (Number(schema, "maximum") is not { } max || v <= max)
        && (Number(schema, "exclusiveMinimum") is not { } emin || v > emin) && (Number(schema, "exclusiveMaximum") is not { } emax || v < emax);

    private JsonElement[]? Branches(JsonElement schema)
    {
        foreach (var key in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(key, out var list)) return list.EnumerateArray().ToArray();
        }
        return schema.TryGetProperty("allOf", out var all) && all.GetArrayLength() == 1 ? [all[0]] : null;
    }

    public IReadOnlySet<string> Required(JsonElement schema) =>
        Resolve(schema).TryGetProperty("required", out var list) ? list.EnumerateArray().Select(r => r.GetString()!).ToHashSet() : new HashSet<string>();

    public IReadOnlyList<(string Name, JsonElement Schema)> Properties(JsonElement schema) =>
        Resolve(schema).TryGetProperty("properties", out var properties) ? properties.EnumerateObject().Select(p => (p.Name, p.Value)).ToList() : [];

    private static string Without(string objectJson, string name)
    {
        using var parsed = JsonDocument.Parse(objectJson);
        var members = parsed.RootElement.EnumerateObject().Where(p => p.Name != name).Select(p => $"{JsonSerializer.Serialize(p.Name)}:{p.Value.GetRawText()}");
        return $"{{{string.Join(",", members)}}}";
    }

    /// <summary>Adds a member as raw text (the value or the name may be JSON no parser accepts back, such as a lone surrogate).</summary>
    private static string With(string objectJson, string name, string valueJson, bool rawName = false)
    {
        var member = $"{(rawName ? name : JsonSerializer.Serialize(name))}:{valueJson}";
        return objectJson == "{}" ? $"{{{member}}}" : $"{{{member},{objectJson[1..]}";
    }

    private static string JsonTypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "array",
        _ => "object",
    };

    private static string? Text(JsonElement schema, string name) => schema.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement schema, string name) => schema.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? Number(JsonElement schema, string name) => schema.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Integer(double value) => value switch
    {
        >= (double)long.MaxValue => "9223372036854775808",
        <= (double)long.MinValue => "-9223372036854775809",
        _ => ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Every character as a \u escape, so text with control characters reaches the server exactly as generated.</summary>
    public static string Escaped(string text)
    {
        var json = new StringBuilder("\"");
        foreach (var c in text) json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        return json.Append('"').ToString();
    }

    /// <summary>The platform's text rule as the tests know it: no NUL, no lone surrogate.</summary>
    private static class JsonInputRulesMirror
    {
        public static bool Acceptable(string text)
        {
            if (text.Contains('\0')) return false;
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else if (char.IsSurrogate(text[i])) return false;
            }
            return true;
        }
    }
}
