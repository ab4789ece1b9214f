namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>Metadata value types, numbered as enum gguf_type in the pinned gguf.h.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>The GGUF on-disk constants.</summary>
public static class GgufConstants
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;
    public const uint DefaultAlignment = 32;
    public const int MaxDimensions = 4;
    public const int MaxTensorNameLength = 63;
    public const string AlignmentKey = "general.alignment";
    public const string ArchitectureKey = "general.architecture";

    /// <summary>Bytes one scalar of the type occupies, or 0 for strings and arrays.</summary>
    public static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };
}

/// <summary>A file that is not a GGUF llama.cpp can safely load; the message says what is wrong and where.</summary>
public sealed class GgufFormatException(string message) : Exception(message);
