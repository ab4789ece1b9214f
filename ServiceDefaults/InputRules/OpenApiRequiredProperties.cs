using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Request bodies say which properties a client must send, and only those. The schema exporter marks every record
/// constructor parameter without a default as required, though the serializer sends a missing one in as null (every
/// request record's fields are nullable so that the service can name what is missing); here a property is required
/// only where the service refuses a body without it: C#'s <c>required</c> or <c>[JsonRequired]</c> (the serializer
/// refuses), or <see cref="RequiredAttribute"/> on the property (the handler refuses with a 400 naming it, which
/// every service's OpenAPI fuzz test checks). A required property does not take null either. A text property with
/// <see cref="AllowedValuesAttribute"/> (a resource's status) lists those values as its enum.
/// </summary>
internal static class OpenApiRequiredProperties
{
    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        // Also in responses, where a record's fields are always written but were required only for being constructor parameters.
        if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is not { } properties)
        {
            return Task.CompletedTask;
        }
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (Allowed(property) is { } allowed && properties.TryGetValue(property.Name, out var propertySchema) && propertySchema is OpenApiSchema text)
            {
                text.Enum = [.. allowed.Values.OfType<object>().Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v.ToString()!))];
                // Where the property takes null, null is one of its values too (an enum is the whole list).
                if (text.Type is { } type && type.HasFlag(JsonSchemaType.Null)) text.Enum.Add(null!);
            }
        }
        var required = context.JsonTypeInfo.Properties.Where(IsRequired).Select(p => p.Name).ToList();
        schema.Required = required.Count == 0 ? null : new HashSet<string>(required, StringComparer.Ordinal);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Once the document is whole (nullable references are wrapped in a one-of with null only then): a required property
    /// takes no null, so its type, its one-of and its enum lose theirs.
    /// </summary>
    public static Task TransformDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var schema in document.Components?.Schemas?.Values.OfType<OpenApiSchema>() ?? [])
        {
            if (schema.Required is not { Count: > 0 } required || schema.Properties is not { } properties) continue;
            foreach (var name in required)
            {
                if (properties.TryGetValue(name, out var property) && WithoutNull(property) is { } notNull) properties[name] = notNull;
            }
        }
        return Task.CompletedTask;
    }

    public static bool IsRequired(JsonPropertyInfo property) =>
        property.IsRequired
        || property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true
        || property.AssociatedParameter?.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true;

    /// <summary>A text property's <see cref="AllowedValuesAttribute"/> (a status), listed as its schema's enum.</summary>
    private static AllowedValuesAttribute? Allowed(JsonPropertyInfo property) =>
        property.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true).OfType<AllowedValuesAttribute>().FirstOrDefault()
        ?? property.AssociatedParameter?.AttributeProvider?.GetCustomAttributes(typeof(AllowedValuesAttribute), inherit: true).OfType<AllowedValuesAttribute>().FirstOrDefault();

    /// <summary>The property's schema without its null: a type list loses "null", a one-of loses its null branch.</summary>
    private static IOpenApiSchema? WithoutNull(IOpenApiSchema property)
    {
        if (property is not OpenApiSchema schema) return null;
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        {
            schema.Type = type & ~JsonSchemaType.Null;
            if (schema.Enum is { } values) schema.Enum = [.. values.Where(v => v is not null)];
            return schema;
        }
        if (schema.OneOf is { Count: > 1 } branches && branches.FirstOrDefault(b => b.Type == JsonSchemaType.Null) is { } nullBranch)
        {
            branches.Remove(nullBranch);
            return branches.Count == 1 ? branches[0] : schema;
        }
        return null;
    }
}
