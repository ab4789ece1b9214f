namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>
/// One metadata value. Scalars hold the boxed CLR value (byte, sbyte, ushort, short, uint, int, float,
/// bool, ulong, long, double, string); arrays hold a typed CLR array of <see cref="ElementType"/>.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public static GgufValue Of(string value) => new(GgufValueType.String, value);
    public static GgufValue Of(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue Of(int value) => new(GgufValueType.Int32, value);
    public static GgufValue Of(ulong value) => new(GgufValueType.UInt64, value);
    public static GgufValue Of(float value) => new(GgufValueType.Float32, value);
    public static GgufValue Of(bool value) => new(GgufValueType.Bool, value);
    public static GgufValue Of(string[] values) => new(GgufValueType.Array, values, GgufValueType.String);
    public static GgufValue Of(float[] values) => new(GgufValueType.Array, values, GgufValueType.Float32);
    public static GgufValue Of(int[] values) => new(GgufValueType.Array, values, GgufValueType.Int32);

    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
        or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    public bool IsNumber => IsInteger || Type is GgufValueType.Float32 or GgufValueType.Float64;

    /// <summary>The value as a signed 64-bit integer, or null when it is not an integer that fits.</summary>
    public long? AsInt64() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => null,
    };

    public double? AsDouble() => Value switch
    {
        float v => v,
        double v => v,
        _ => AsInt64(),
    };

    public string? AsString() => Value as string;

    /// <summary>Number of elements of an array value; 0 for scalars.</summary>
    public int ArrayLength => Value is Array array ? array.Length : 0;

    public override string ToString() => Value switch
    {
        string s => s.Length > 80 ? $"\"{s[..77]}...\"" : $"\"{s}\"",
        Array a => $"[{ElementType} x {a.Length}]",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>A tensor's header entry. <see cref="Offset"/> is relative to the start of the data section.</summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, IReadOnlyList<ulong> Dimensions, ulong Offset, ulong ByteSize)
{
    public ulong ElementCount => Dimensions.Aggregate(1UL, (product, dimension) => product * dimension);
}

/// <summary>The parsed header of a GGUF file: metadata and tensor directory, no tensor data.</summary>
public sealed record GgufFile(
    uint Version,
    uint Alignment,
    long DataOffset,
    long FileLength,
    IReadOnlyDictionary<string, GgufValue> Metadata,
    IReadOnlyList<GgufTensorInfo> Tensors)
{
    public string? Architecture => GetString(GgufConstants.ArchitectureKey);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var value) ? value.AsString() : null;

    public long? GetInteger(string key) => Metadata.TryGetValue(key, out var value) ? value.AsInt64() : null;

    public double? GetNumber(string key) => Metadata.TryGetValue(key, out var value) ? value.AsDouble() : null;

    public ulong TensorDataBytes => Tensors.Aggregate(0UL, (sum, tensor) => sum + tensor.ByteSize);
}
