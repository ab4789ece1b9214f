using System.Buffers.Binary;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

/// <summary>Small GGUF images built in memory for the reader and validator tests.</summary>
internal static class GgufTestFiles
{
    public static readonly TinyModelOptions Smallest = new()
    {
        Layers = 1,
        EmbeddingSize = 8,
        Heads = 2,
        FeedForwardSize = 16,
        ContextLength = 32,
        Seed = 3,
    };

    public static byte[] TinyModel(TinyModelOptions? options = null)
    {
        using var stream = new MemoryStream();
        TinyModelGenerator.Plan(options ?? Smallest).Writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>A hand-made header: the given metadata and one F32 tensor of <paramref name="elements"/> values.</summary>
    public static byte[] Custom(Action<GgufWriter> addMetadata, int elements = 8)
    {
        var writer = new GgufWriter();
        addMetadata(writer);
        var data = new byte[elements * 4];
        writer.AddTensor("token_embd.weight", GgmlType.F32, [(ulong)elements], data);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    public static GgufFile Read(byte[] bytes) => GgufReader.Read(new MemoryStream(bytes, writable: false));

    /// <summary>Offset of the first byte after the header's fixed part and metadata, i.e. the first tensor info.</summary>
    public static int FirstTensorInfoOffset(byte[] bytes) => 24 + MetadataBytes(bytes);

    /// <summary>Offsets of the type and data-offset fields of the first tensor info.</summary>
    public static (int TypeField, int OffsetField) FirstTensorFields(byte[] bytes)
    {
        var start = FirstTensorInfoOffset(bytes);
        var nameLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(start));
        var dimensionsField = start + 8 + nameLength;
        var dimensions = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(dimensionsField));
        var typeField = dimensionsField + 4 + 8 * dimensions;
        return (typeField, typeField + 4);
    }

    /// <summary>Byte length of the metadata section, parsed directly from the image.</summary>
    public static int MetadataBytes(byte[] bytes)
    {
        var count = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        var position = 24;
        for (ulong i = 0; i < count; i++)
        {
            position += 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(position));
            position = SkipValue(bytes, position);
        }
        return position - 24;
    }

    private static int SkipValue(byte[] bytes, int position)
    {
        var type = (GgufValueType)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
        position += 4;
        if (type == GgufValueType.Array)
        {
            var elementType = (GgufValueType)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(position + 4));
            position += 12;
            for (ulong i = 0; i < length; i++)
            {
                position = SkipScalar(bytes, position, elementType);
            }
            return position;
        }
        return SkipScalar(bytes, position, type);
    }

    private static int SkipScalar(byte[] bytes, int position, GgufValueType type) => type == GgufValueType.String
        ? position + 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(position))
        : position + GgufConstants.ScalarSize(type);
}
