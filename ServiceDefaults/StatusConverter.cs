using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The platform's one spelling of a status in JSON, whatever the resource: lower case with <c>_</c> between words
/// (<c>running</c>, <c>rolled_back</c>), as the string statuses of experiments, jobs, datasets and domains are. The
/// OpenAPI document lists the values as the property's enum. Reading takes the same spelling; a list filter takes any
/// (<see cref="FilterValues"/>).
/// </summary>
public sealed class StatusConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum
{
    /// <summary>The JSON spelling of <paramref name="value"/>.</summary>
    public static string Name(TEnum value) => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>Every value's JSON spelling, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<TEnum>().Select(Name).ToList();
}
