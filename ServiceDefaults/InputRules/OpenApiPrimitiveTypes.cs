using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The checking converters of <see cref="JsonInputRules"/> are custom converters, for which the schema exporter
/// writes an empty schema: this puts back what they read, a string or a number (a finite one, so no "NaN" enum),
/// also as the items of a list and the values of a dictionary.
/// </summary>
internal static class OpenApiPrimitiveTypes
{
    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var typeInfo = context.JsonTypeInfo;
        if (Primitive(typeInfo.Type) is { } primitive && schema.Type is null)
        {
            var nullable = Nullable.GetUnderlyingType(typeInfo.Type) is not null
                || context.JsonPropertyInfo is { IsGetNullable: true } or { IsSetNullable: true };
            schema.Type = nullable ? primitive.Kind | JsonSchemaType.Null : primitive.Kind;
            schema.Format ??= primitive.Format;
        }
        else if (typeInfo.Kind == JsonTypeInfoKind.Enumerable && schema.Items is null && Primitive(typeInfo.ElementType) is { } item)
        {
            schema.Items = Schema(item, typeInfo.ElementType!);
        }
        else if (typeInfo.Kind == JsonTypeInfoKind.Dictionary && schema.AdditionalProperties is null && Primitive(typeInfo.ElementType) is { } value)
        {
            schema.AdditionalProperties = Schema(value, typeInfo.ElementType!);
        }
        return Task.CompletedTask;
    }

    private static OpenApiSchema Schema((JsonSchemaType Kind, string? Format) primitive, Type type) => new()
    {
        Type = Nullable.GetUnderlyingType(type) is null ? primitive.Kind : primitive.Kind | JsonSchemaType.Null,
        Format = primitive.Format,
    };

    private static (JsonSchemaType Kind, string? Format)? Primitive(Type? type) => (Nullable.GetUnderlyingType(type ?? typeof(object)) ?? type) switch
    {
        var t when t == typeof(string) => (JsonSchemaType.String, null),
        var t when t == typeof(double) => (JsonSchemaType.Number, "double"),
        var t when t == typeof(float) => (JsonSchemaType.Number, "float"),
        _ => null,
    };
}
