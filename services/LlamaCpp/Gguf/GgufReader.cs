using System.Buffers.Binary;
using System.Text;

namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>
/// Reads and checks a GGUF header in managed code, so a truncated or hostile file is refused with a
/// <see cref="GgufFormatException"/> before llama.cpp ever opens it. It never allocates more than
/// the file could hold and never reads tensor data.
/// </summary>
public static class GgufReader
{
    // Smallest possible encodings, used to refuse counts that the remaining bytes cannot hold.
    private const int MinKeyValueBytes = 8 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 4 + 8;
    private const int MaxKeyLength = 64 * 1024;

    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"GGUF file '{path}' does not exist.", path);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream);
    }

    /// <summary>Reads the header from a seekable stream positioned at the start of the file.</summary>
    public static GgufFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable so its length is known.", nameof(stream));
        }
        var reader = new BoundedReader(stream, stream.Length - stream.Position);
        return ReadHeader(reader);
    }

    private static GgufFile ReadHeader(BoundedReader reader)
    {
        if (reader.Length < 24)
        {
            throw new GgufFormatException($"File is {reader.Length} bytes; a GGUF header needs at least 24.");
        }
        var magic = reader.ReadUInt32("magic");
        if (magic != GgufConstants.Magic)
        {
            var bytes = BitConverter.GetBytes(magic);
            throw new GgufFormatException(
                $"Bad magic {Convert.ToHexString(bytes)} ('{Printable(bytes)}'); a GGUF file starts with 'GGUF'.");
        }
        var version = reader.ReadUInt32("version");
        if (version is not (2 or 3))
        {
            throw new GgufFormatException($"GGUF version {version} is not supported; only versions 2 and 3 are.");
        }
        var tensorCount = reader.ReadUInt64("tensor count");
        var keyValueCount = reader.ReadUInt64("metadata count");
        if (keyValueCount > (ulong)(reader.Remaining / MinKeyValueBytes))
        {
            throw new GgufFormatException(
                $"Header declares {keyValueCount} metadata entries but only {reader.Remaining} bytes follow.");
        }
        if (tensorCount > (ulong)(reader.Remaining / MinTensorInfoBytes))
        {
            throw new GgufFormatException(
                $"Header declares {tensorCount} tensors but only {reader.Remaining} bytes follow.");
        }

        var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        for (ulong i = 0; i < keyValueCount; i++)
        {
            var key = reader.ReadString($"metadata key #{i}", MaxKeyLength);
            if (key.Length == 0)
            {
                throw new GgufFormatException($"Metadata key #{i} is empty.");
            }
            var value = ReadValue(reader, key);
            if (!metadata.TryAdd(key, value))
            {
                throw new GgufFormatException($"Metadata key '{key}' appears twice.");
            }
        }

        var alignment = GgufConstants.DefaultAlignment;
        if (metadata.TryGetValue(GgufConstants.AlignmentKey, out var alignmentValue))
        {
            if (alignmentValue.Type != GgufValueType.UInt32)
            {
                throw new GgufFormatException($"'{GgufConstants.AlignmentKey}' must be a uint32, not {alignmentValue.Type}.");
            }
            alignment = (uint)alignmentValue.Value;
            if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            {
                throw new GgufFormatException($"'{GgufConstants.AlignmentKey}' is {alignment}, which is not a power of two.");
            }
        }

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var tensor = ReadTensorInfo(reader, i, alignment);
            if (!names.Add(tensor.Name))
            {
                throw new GgufFormatException($"Tensor name '{tensor.Name}' appears twice.");
            }
            tensors.Add(tensor);
        }

        var dataOffset = Align(reader.Position, alignment);
        if (tensors.Count > 0 && dataOffset > reader.Length)
        {
            throw new GgufFormatException(
                $"Tensor data should start at byte {dataOffset} but the file is only {reader.Length} bytes.");
        }

        // llama.cpp requires tensors packed in order, each padded to the alignment.
        ulong expectedOffset = 0;
        var dataBytes = (ulong)(reader.Length - Math.Min(dataOffset, reader.Length));
        foreach (var tensor in tensors)
        {
            if (tensor.Offset != expectedOffset)
            {
                throw new GgufFormatException(
                    $"Tensor '{tensor.Name}' has data offset {tensor.Offset}, expected {expectedOffset} (tensors must be packed in order).");
            }
            if (tensor.Offset > dataBytes || tensor.ByteSize > dataBytes - tensor.Offset)
            {
                throw new GgufFormatException(
                    $"Tensor '{tensor.Name}' ({tensor.ByteSize} bytes at data offset {tensor.Offset}) lies outside the file: " +
                    $"the data section holds {dataBytes} bytes (file truncated?).");
            }
            expectedOffset = tensor.Offset + AlignUp(tensor.ByteSize, alignment);
        }

        return new GgufFile(version, alignment, dataOffset, reader.Length, metadata, tensors);
    }

    private static GgufTensorInfo ReadTensorInfo(BoundedReader reader, ulong index, uint alignment)
    {
        var name = reader.ReadString($"name of tensor #{index}", GgufConstants.MaxTensorNameLength + 1);
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) > GgufConstants.MaxTensorNameLength)
        {
            throw new GgufFormatException(
                $"Tensor #{index} name '{name}' must be 1 to {GgufConstants.MaxTensorNameLength} bytes.");
        }
        var dimensionCount = reader.ReadUInt32($"dimension count of tensor '{name}'");
        if (dimensionCount > GgufConstants.MaxDimensions)
        {
            throw new GgufFormatException(
                $"Tensor '{name}' has {dimensionCount} dimensions; at most {GgufConstants.MaxDimensions} are allowed.");
        }
        var dimensions = new ulong[Math.Max(dimensionCount, 1)];
        dimensions[0] = 1;
        for (var d = 0; d < dimensionCount; d++)
        {
            dimensions[d] = reader.ReadUInt64($"dimension {d} of tensor '{name}'");
            if (dimensions[d] > long.MaxValue)
            {
                throw new GgufFormatException($"Tensor '{name}' dimension {d} is {dimensions[d]}, which is negative as int64.");
            }
        }
        var rawType = reader.ReadUInt32($"type of tensor '{name}'");
        var type = (GgmlType)rawType;
        if (!GgmlTypeTraits.TryGet(type, out var blockSize, out _))
        {
            throw new GgufFormatException($"Tensor '{name}' has unknown or removed ggml type {rawType}.");
        }
        if (dimensions[0] % (ulong)blockSize != 0)
        {
            throw new GgufFormatException(
                $"Tensor '{name}' of type {type} has {dimensions[0]} elements per row, not a multiple of its block size {blockSize}.");
        }
        var byteSize = GgmlTypeTraits.ByteSize(type, dimensions)
            ?? throw new GgufFormatException($"Tensor '{name}' shape [{string.Join(", ", dimensions)}] is too large to represent.");
        var offset = reader.ReadUInt64($"data offset of tensor '{name}'");
        if (offset % alignment != 0)
        {
            throw new GgufFormatException($"Tensor '{name}' data offset {offset} is not a multiple of the alignment {alignment}.");
        }
        return new GgufTensorInfo(name, type, dimensions, offset, byteSize);
    }

    private static GgufValue ReadValue(BoundedReader reader, string key)
    {
        var rawType = reader.ReadUInt32($"type of '{key}'");
        var type = (GgufValueType)rawType;
        if (!Enum.IsDefined(type))
        {
            throw new GgufFormatException($"Metadata '{key}' has unknown value type {rawType}.");
        }
        if (type != GgufValueType.Array)
        {
            return new GgufValue(type, ReadScalar(reader, type, key));
        }

        var rawElementType = reader.ReadUInt32($"element type of '{key}'");
        var elementType = (GgufValueType)rawElementType;
        if (!Enum.IsDefined(elementType) || elementType == GgufValueType.Array)
        {
            throw new GgufFormatException($"Metadata array '{key}' has unsupported element type {rawElementType}.");
        }
        var count = reader.ReadUInt64($"length of '{key}'");
        var minElementBytes = elementType == GgufValueType.String ? 8 : GgufConstants.ScalarSize(elementType);
        if (count > (ulong)(reader.Remaining / minElementBytes) || count > int.MaxValue)
        {
            throw new GgufFormatException(
                $"Metadata array '{key}' declares {count} elements but only {reader.Remaining} bytes follow.");
        }
        var length = (int)count;
        Array items = elementType switch
        {
            GgufValueType.UInt8 => new byte[length],
            GgufValueType.Int8 => new sbyte[length],
            GgufValueType.UInt16 => new ushort[length],
            GgufValueType.Int16 => new short[length],
            GgufValueType.UInt32 => new uint[length],
            GgufValueType.Int32 => new int[length],
            GgufValueType.Float32 => new float[length],
            GgufValueType.Bool => new bool[length],
            GgufValueType.String => new string[length],
            GgufValueType.UInt64 => new ulong[length],
            GgufValueType.Int64 => new long[length],
            _ => new double[length],
        };
        for (var i = 0; i < length; i++)
        {
            items.SetValue(ReadScalar(reader, elementType, key), i);
        }
        return new GgufValue(GgufValueType.Array, items, elementType);
    }

    private static object ReadScalar(BoundedReader reader, GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => reader.ReadBytes(1, key)[0],
        GgufValueType.Int8 => (sbyte)reader.ReadBytes(1, key)[0],
        GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(reader.ReadBytes(2, key)),
        GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(reader.ReadBytes(2, key)),
        GgufValueType.UInt32 => reader.ReadUInt32(key),
        GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(reader.ReadBytes(4, key)),
        GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(reader.ReadBytes(4, key)),
        GgufValueType.Bool => ReadBool(reader, key),
        GgufValueType.String => reader.ReadString($"value of '{key}'", int.MaxValue),
        GgufValueType.UInt64 => reader.ReadUInt64(key),
        GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(reader.ReadBytes(8, key)),
        GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(reader.ReadBytes(8, key)),
        _ => throw new GgufFormatException($"Metadata '{key}' has unsupported value type {type}."),
    };

    private static bool ReadBool(BoundedReader reader, string key)
    {
        var raw = reader.ReadBytes(1, key)[0];
        return raw switch
        {
            0 => false,
            1 => true,
            _ => throw new GgufFormatException($"Metadata '{key}' holds bool byte {raw}; only 0 and 1 are valid."),
        };
    }

    internal static long Align(long position, uint alignment) => (position + alignment - 1) / alignment * alignment;

    internal static ulong AlignUp(ulong size, uint alignment) => (size + alignment - 1) / alignment * alignment;

    private static string Printable(byte[] bytes) =>
        new(bytes.Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.').ToArray());

    /// <summary>Reads little-endian values and refuses any read past the end of the file.</summary>
    private sealed class BoundedReader(Stream stream, long length)
    {
        private readonly byte[] _scratch = new byte[8];

        public long Length { get; } = length;
        public long Position { get; private set; }
        public long Remaining => Length - Position;

        public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, what));

        public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, what));

        public ReadOnlySpan<byte> ReadBytes(int count, string what)
        {
            var buffer = _scratch.AsSpan(0, count);
            Fill(buffer, what);
            return buffer;
        }

        public string ReadString(string what, int maxBytes)
        {
            var length = ReadUInt64($"length of {what}");
            if (length > (ulong)Remaining)
            {
                throw new GgufFormatException(
                    $"{Capitalize(what)} claims {length} bytes but only {Remaining} remain at offset {Position} (file truncated?).");
            }
            if (length > (ulong)maxBytes)
            {
                throw new GgufFormatException($"{Capitalize(what)} is {length} bytes; at most {maxBytes} are allowed.");
            }
            var bytes = new byte[(int)length];
            Fill(bytes, what);
            try
            {
                return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new GgufFormatException($"{Capitalize(what)} is not valid UTF-8.");
            }
        }

        private void Fill(Span<byte> buffer, string what)
        {
            if (buffer.Length > Remaining)
            {
                throw new GgufFormatException(
                    $"File ends at offset {Length} while reading {what} ({buffer.Length} bytes at offset {Position}); the file is truncated.");
            }
            stream.ReadExactly(buffer);
            Position += buffer.Length;
        }

        private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
    }
}
