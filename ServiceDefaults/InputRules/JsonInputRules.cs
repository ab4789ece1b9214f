using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The input rule every service's JSON bodies follow, whatever the field: no text holds a NUL character or
/// invalid UTF-16 (Postgres, Redis keys and the event JSON refuse them), and no number is NaN, infinite or
/// outside its type's range. A refusal is a <see cref="JsonException"/>, which the serializer tags with the
/// field's path and <see cref="ProblemDetailsExceptionHandler"/> answers as a 400 naming that field.
/// Ranges of particular settings (a budget, a duration) stay with the service that owns them.
/// </summary>
public static class JsonInputRules
{
    public const string NulMessage = "The text holds a NUL character (\\u0000), which no field accepts.";
    public const string InvalidUtf16Message = "The text holds invalid UTF-16 (a lone surrogate), which no field accepts.";
    public const string NonFiniteMessage = "The number must be finite: NaN, Infinity and numbers beyond ±1.7976931348623157e308 are refused.";

    /// <summary>Adds the checking converters ahead of any others.</summary>
    public static void Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Converters.Insert(0, new CheckedStringConverter());
        options.Converters.Insert(0, new FiniteDoubleConverter());
        options.Converters.Insert(0, new FiniteSingleConverter());
        options.Converters.Insert(0, new CheckedJsonElementConverter());
    }

    /// <summary>Why <paramref name="text"/> cannot be accepted, or null when it can.</summary>
    public static string? Refusal(string? text)
    {
        if (text is null) return null;
        if (text.Contains('\0')) return NulMessage;
        return HasLoneSurrogate(text) ? InvalidUtf16Message : null;
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    private static string Check(string text) => Refusal(text) is { } why ? throw new JsonException(why) : text;

    private sealed class CheckedStringConverter : JsonConverter<string>
    {
        // Reading a string already refuses escaped lone surrogates and invalid UTF-8; NUL is what remains.
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() is { } text ? Check(text) : null;

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Check(base.ReadAsPropertyName(ref reader, typeToConvert, options));
    }

    private sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadFinite(ref reader, options);

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (!WroteAsString(writer, value, options)) writer.WriteNumberValue(value);
        }
    }

    private sealed class FiniteSingleConverter : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var value = ReadFinite(ref reader, options);
            return value is >= float.MinValue and <= float.MaxValue
                ? (float)value
                : throw new JsonException($"The number must lie within ±{float.MaxValue.ToString(CultureInfo.InvariantCulture)}.");
        }

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (!WroteAsString(writer, value, options)) writer.WriteNumberValue(value);
        }
    }

    private static double ReadFinite(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        double value;
        if (reader.TokenType == JsonTokenType.String && options.NumberHandling.HasFlag(JsonNumberHandling.AllowReadingFromString))
        {
            // A quoted number, as the web defaults allow; the named literals are no numbers here.
            var text = reader.GetString();
            if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                    CultureInfo.InvariantCulture, out value))
            {
                throw new JsonException($"'{text}' is not a number.");
            }
        }
        else if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out value)) throw new JsonException(NonFiniteMessage);
        }
        else
        {
            throw new JsonException($"A number is expected here, not {Describe(reader.TokenType)}.");
        }
        return double.IsFinite(value) ? value : throw new JsonException(NonFiniteMessage);
    }

    /// <summary>Free-form JSON (a table's rows): every string, property name and number inside follows the same rule.</summary>
    private sealed class CheckedJsonElementConverter : JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var element = JsonElement.ParseValue(ref reader);
            Walk(element, "");
            return element;
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

        private static void Walk(JsonElement element, string path)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    CheckInside(() => element.GetString(), path);
                    break;
                case JsonValueKind.Number when !element.TryGetDouble(out var number) || !double.IsFinite(number):
                    // No consumer of the stored JSON could read it back (JavaScript makes it Infinity).
                    throw new JsonException(At(path, NonFiniteMessage));
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{i++}]");
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        var name = CheckInside(() => property.Name, path);
                        Walk(property.Value, path.Length == 0 ? name : $"{path}.{name}");
                    }
                    break;
            }
        }

        private static string CheckInside(Func<string?> read, string path)
        {
            string? text;
            try
            {
                text = read();
            }
            catch (InvalidOperationException)
            {
                throw new JsonException(At(path, InvalidUtf16Message));
            }
            return Refusal(text) is { } why ? throw new JsonException(At(path, why)) : text ?? "";
        }

        private static string At(string path, string message) => path.Length == 0 ? message : $"{message} (at {path})";
    }

    /// <summary>
    /// Outputs may carry NaN or infinities (a statistic before any data) where a service allows named literals;
    /// numbers are written as strings only where the options ask for it.
    /// </summary>
    private static bool WroteAsString(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (!double.IsFinite(value) && options.NumberHandling.HasFlag(JsonNumberHandling.AllowNamedFloatingPointLiterals)
            || options.NumberHandling.HasFlag(JsonNumberHandling.WriteAsString))
        {
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        return false;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
