using System.Buffers.Binary;
using System.Text;

namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>
/// Writes a GGUF v3 file. Tensor data is streamed from callbacks at write time, so models larger
/// than memory can be written; each callback must write exactly the tensor's byte size.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];

    public GgufWriter(uint alignment = GgufConstants.DefaultAlignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Alignment must be a power of two.");
        }
        Alignment = alignment;
        if (alignment != GgufConstants.DefaultAlignment)
        {
            Add(GgufConstants.AlignmentKey, GgufValue.Of(alignment));
        }
    }

    public uint Alignment { get; }

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_metadata.Any(entry => entry.Key == key))
        {
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        }
        CheckValue(key, value);
        _metadata.Add(new(key, value));
        return this;
    }

    public GgufWriter Add(string key, string value) => Add(key, GgufValue.Of(value));
    public GgufWriter Add(string key, uint value) => Add(key, GgufValue.Of(value));
    public GgufWriter Add(string key, int value) => Add(key, GgufValue.Of(value));
    public GgufWriter Add(string key, float value) => Add(key, GgufValue.Of(value));
    public GgufWriter Add(string key, bool value) => Add(key, GgufValue.Of(value));
    public GgufWriter Add(string key, string[] values) => Add(key, GgufValue.Of(values));
    public GgufWriter Add(string key, float[] values) => Add(key, GgufValue.Of(values));
    public GgufWriter Add(string key, int[] values) => Add(key, GgufValue.Of(values));

    /// <summary>Adds a tensor; <paramref name="writeData"/> is called once, in order, to write its bytes.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, IReadOnlyList<ulong> dimensions, Action<Stream> writeData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(writeData);
        if (Encoding.UTF8.GetByteCount(name) > GgufConstants.MaxTensorNameLength)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than {GgufConstants.MaxTensorNameLength} bytes.", nameof(name));
        }
        if (dimensions.Count is 0 or > GgufConstants.MaxDimensions)
        {
            throw new ArgumentException($"Tensor '{name}' needs 1 to {GgufConstants.MaxDimensions} dimensions.", nameof(dimensions));
        }
        if (_tensors.Any(tensor => tensor.Name == name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }
        var size = GgmlTypeTraits.ByteSize(type, dimensions)
            ?? throw new ArgumentException($"Tensor '{name}' shape [{string.Join(", ", dimensions)}] does not fit type {type}.", nameof(dimensions));
        _tensors.Add(new PendingTensor(name, type, [.. dimensions], size, writeData));
        return this;
    }

    /// <summary>Adds a tensor from bytes already in memory.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, IReadOnlyList<ulong> dimensions, ReadOnlyMemory<byte> data)
    {
        var expected = GgmlTypeTraits.ByteSize(type, dimensions);
        if (expected != (ulong)data.Length)
        {
            throw new ArgumentException($"Tensor '{name}' needs {expected} bytes of data, got {data.Length}.", nameof(data));
        }
        return AddTensor(name, type, dimensions, stream => stream.Write(data.Span));
    }

    public void WriteTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        // Write next to the target and rename, so a reader never sees a half-written model.
        var temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                WriteTo(stream);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public void WriteTo(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var counting = new CountingStream(output);
        WriteUInt32(counting, GgufConstants.Magic);
        WriteUInt32(counting, 3);
        WriteUInt64(counting, (ulong)_tensors.Count);
        WriteUInt64(counting, (ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(counting, key);
            WriteValue(counting, value);
        }

        ulong offset = 0;
        foreach (var tensor in _tensors)
        {
            WriteString(counting, tensor.Name);
            WriteUInt32(counting, (uint)tensor.Dimensions.Length);
            foreach (var dimension in tensor.Dimensions)
            {
                WriteUInt64(counting, dimension);
            }
            WriteUInt32(counting, (uint)tensor.Type);
            WriteUInt64(counting, offset);
            offset += GgufReader.AlignUp(tensor.ByteSize, Alignment);
        }
        Pad(counting);

        foreach (var tensor in _tensors)
        {
            var start = counting.Written;
            tensor.WriteData(counting);
            var written = (ulong)(counting.Written - start);
            if (written != tensor.ByteSize)
            {
                throw new InvalidOperationException(
                    $"Tensor '{tensor.Name}' data callback wrote {written} bytes; the tensor needs {tensor.ByteSize}.");
            }
            Pad(counting);
        }
        counting.Flush();
    }

    private void Pad(CountingStream stream)
    {
        var padding = (int)(GgufReader.Align(stream.Written, Alignment) - stream.Written);
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        while (padding > 0)
        {
            var chunk = Math.Min(padding, zeros.Length);
            stream.Write(zeros[..chunk]);
            padding -= chunk;
        }
    }

    private static void CheckValue(string key, GgufValue value)
    {
        var valid = value.Type switch
        {
            GgufValueType.UInt8 => value.Value is byte,
            GgufValueType.Int8 => value.Value is sbyte,
            GgufValueType.UInt16 => value.Value is ushort,
            GgufValueType.Int16 => value.Value is short,
            GgufValueType.UInt32 => value.Value is uint,
            GgufValueType.Int32 => value.Value is int,
            GgufValueType.Float32 => value.Value is float,
            GgufValueType.Bool => value.Value is bool,
            GgufValueType.String => value.Value is string,
            GgufValueType.UInt64 => value.Value is ulong,
            GgufValueType.Int64 => value.Value is long,
            GgufValueType.Float64 => value.Value is double,
            GgufValueType.Array => value.ElementType != GgufValueType.Array && value.Value is Array array
                && array.GetType().GetElementType() == ClrType(value.ElementType),
            _ => false,
        };
        if (!valid)
        {
            throw new ArgumentException($"Metadata '{key}' value {value.Value.GetType().Name} does not match type {value.Type}.", nameof(value));
        }
    }

    private static Type ClrType(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => typeof(byte),
        GgufValueType.Int8 => typeof(sbyte),
        GgufValueType.UInt16 => typeof(ushort),
        GgufValueType.Int16 => typeof(short),
        GgufValueType.UInt32 => typeof(uint),
        GgufValueType.Int32 => typeof(int),
        GgufValueType.Float32 => typeof(float),
        GgufValueType.Bool => typeof(bool),
        GgufValueType.String => typeof(string),
        GgufValueType.UInt64 => typeof(ulong),
        GgufValueType.Int64 => typeof(long),
        GgufValueType.Float64 => typeof(double),
        _ => typeof(void),
    };

    private static void WriteValue(Stream stream, GgufValue value)
    {
        WriteUInt32(stream, (uint)value.Type);
        if (value.Type != GgufValueType.Array)
        {
            WriteScalar(stream, value.Type, value.Value);
            return;
        }
        var items = (Array)value.Value;
        WriteUInt32(stream, (uint)value.ElementType);
        WriteUInt64(stream, (ulong)items.Length);
        foreach (var item in items)
        {
            WriteScalar(stream, value.ElementType, item!);
        }
    }

    private static void WriteScalar(Stream stream, GgufValueType type, object value)
    {
        Span<byte> buffer = stackalloc byte[8];
        switch (type)
        {
            case GgufValueType.UInt8: stream.WriteByte((byte)value); break;
            case GgufValueType.Int8: stream.WriteByte(unchecked((byte)(sbyte)value)); break;
            case GgufValueType.Bool: stream.WriteByte((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)value); stream.Write(buffer[..2]); break;
            case GgufValueType.Int16: BinaryPrimitives.WriteInt16LittleEndian(buffer, (short)value); stream.Write(buffer[..2]); break;
            case GgufValueType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)value); stream.Write(buffer[..4]); break;
            case GgufValueType.Int32: BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)value); stream.Write(buffer[..4]); break;
            case GgufValueType.Float32: BinaryPrimitives.WriteSingleLittleEndian(buffer, (float)value); stream.Write(buffer[..4]); break;
            case GgufValueType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(buffer, (ulong)value); stream.Write(buffer); break;
            case GgufValueType.Int64: BinaryPrimitives.WriteInt64LittleEndian(buffer, (long)value); stream.Write(buffer); break;
            case GgufValueType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(buffer, (double)value); stream.Write(buffer); break;
            case GgufValueType.String: WriteString(stream, (string)value); break;
            default: throw new ArgumentException($"Type {type} cannot be written as a scalar.", nameof(type));
        }
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteUInt64(stream, (ulong)bytes.Length);
        stream.Write(bytes);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        stream.Write(buffer);
    }

    private static void WriteUInt64(Stream stream, ulong value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        stream.Write(buffer);
    }

    private sealed record PendingTensor(string Name, GgmlType Type, ulong[] Dimensions, ulong ByteSize, Action<Stream> WriteData);

    /// <summary>Write-only pass-through that counts bytes, so padding and data sizes can be checked.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void WriteByte(byte value)
        {
            inner.WriteByte(value);
            Written++;
        }
    }
}
