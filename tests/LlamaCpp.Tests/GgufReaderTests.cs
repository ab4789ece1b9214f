using System.Buffers.Binary;
using System.Text;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

public sealed class GgufReaderTests
{
    [Fact]
    public void Writer_output_reads_back_with_every_value_type()
    {
        var writer = new GgufWriter();
        writer.Add("a.u8", new GgufValue(GgufValueType.UInt8, (byte)200))
            .Add("a.i8", new GgufValue(GgufValueType.Int8, (sbyte)-5))
            .Add("a.u16", new GgufValue(GgufValueType.UInt16, (ushort)60000))
            .Add("a.i16", new GgufValue(GgufValueType.Int16, (short)-30000))
            .Add("a.u32", 4_000_000_000u)
            .Add("a.i32", -2_000_000_000)
            .Add("a.f32", 1.5f)
            .Add("a.bool", true)
            .Add("a.str", "héllo")
            .Add("a.u64", GgufValue.Of(ulong.MaxValue))
            .Add("a.i64", new GgufValue(GgufValueType.Int64, long.MinValue))
            .Add("a.f64", new GgufValue(GgufValueType.Float64, Math.PI))
            .Add("a.strings", ["x", "", "yz"])
            .Add("a.floats", [1f, -2f])
            .Add("a.ints", [3, 4, 5]);
        var first = new byte[3 * 4 * 4];
        first[0] = 42;
        writer.AddTensor("first", GgmlType.F32, [3, 4], first);
        writer.AddTensor("second", GgmlType.F16, [5], new byte[10]);

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        var bytes = stream.ToArray();
        var file = GgufTestFiles.Read(bytes);

        Assert.Equal(3u, file.Version);
        Assert.Equal(32u, file.Alignment);
        Assert.Equal(15, file.Metadata.Count);
        Assert.Equal((byte)200, file.Metadata["a.u8"].Value);
        Assert.Equal((sbyte)-5, file.Metadata["a.i8"].Value);
        Assert.Equal((ushort)60000, file.Metadata["a.u16"].Value);
        Assert.Equal((short)-30000, file.Metadata["a.i16"].Value);
        Assert.Equal(4_000_000_000u, file.Metadata["a.u32"].Value);
        Assert.Equal(-2_000_000_000, file.Metadata["a.i32"].Value);
        Assert.Equal(1.5f, file.Metadata["a.f32"].Value);
        Assert.Equal(true, file.Metadata["a.bool"].Value);
        Assert.Equal("héllo", file.GetString("a.str"));
        Assert.Equal(ulong.MaxValue, file.Metadata["a.u64"].Value);
        Assert.Equal(long.MinValue, file.Metadata["a.i64"].Value);
        Assert.Equal(Math.PI, file.Metadata["a.f64"].Value);
        Assert.Equal(["x", "", "yz"], (string[])file.Metadata["a.strings"].Value);
        Assert.Equal([1f, -2f], (float[])file.Metadata["a.floats"].Value);
        Assert.Equal([3, 4, 5], (int[])file.Metadata["a.ints"].Value);

        Assert.Equal(2, file.Tensors.Count);
        Assert.Equal(("first", GgmlType.F32, 0UL), (file.Tensors[0].Name, file.Tensors[0].Type, file.Tensors[0].Offset));
        Assert.Equal(("second", GgmlType.F16), (file.Tensors[1].Name, file.Tensors[1].Type));
        Assert.Equal([3UL, 4UL], file.Tensors[0].Dimensions);
        Assert.Equal(48UL, file.Tensors[0].ByteSize);
        Assert.Equal(64UL, file.Tensors[1].Offset);
        Assert.Equal(10UL, file.Tensors[1].ByteSize);
        Assert.Equal(0, file.DataOffset % 32);
        Assert.Equal(42, bytes[file.DataOffset]);
        Assert.Equal(file.DataOffset + 64 + 32, bytes.Length);
    }

    [Fact]
    public void Tiny_model_passes_the_validator_with_the_expected_shape()
    {
        var file = GgufTestFiles.Read(GgufTestFiles.TinyModel());
        GgufValidator.Validate(file);

        Assert.Equal("llama", file.Architecture);
        Assert.Equal(1, file.GetInteger("llama.block_count"));
        Assert.Equal(8, file.GetInteger("llama.embedding_length"));
        Assert.Equal(3 + 9, file.Tensors.Count);
        var embedding = file.Tensors.Single(t => t.Name == "token_embd.weight");
        Assert.Equal(8UL, embedding.Dimensions[0]);
        Assert.Equal((ulong)TinyVocabulary.Build().Tokens.Length, embedding.Dimensions[1]);
    }

    [Fact]
    public void Tiny_model_is_identical_for_the_same_seed_and_differs_for_another()
    {
        var first = GgufTestFiles.TinyModel();
        var again = GgufTestFiles.TinyModel();
        var other = GgufTestFiles.TinyModel(GgufTestFiles.Smallest with { Seed = 4 });
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void F16_model_stores_half_the_weight_bytes()
    {
        var f32 = GgufTestFiles.Read(GgufTestFiles.TinyModel());
        var f16 = GgufTestFiles.Read(GgufTestFiles.TinyModel(GgufTestFiles.Smallest with { TensorType = GgmlType.F16 }));
        var f32Matrix = f32.Tensors.Single(t => t.Name == "output.weight");
        var f16Matrix = f16.Tensors.Single(t => t.Name == "output.weight");
        Assert.Equal(GgmlType.F16, f16Matrix.Type);
        Assert.Equal(f32Matrix.ByteSize / 2, f16Matrix.ByteSize);
        Assert.Equal(GgmlType.F32, f16.Tensors.Single(t => t.Name == "output_norm.weight").Type);
        Assert.Equal(1, f16.GetInteger("general.file_type"));
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_format_error()
    {
        var bytes = GgufTestFiles.TinyModel();
        for (var length = 0; length < bytes.Length; length += length < 4096 ? 1 : 97)
        {
            var truncated = bytes[..length];
            var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(truncated));
            Assert.False(string.IsNullOrWhiteSpace(exception.Message));
        }
    }

    [Fact]
    public void Truncated_data_section_names_the_tensor_outside_the_file()
    {
        var bytes = GgufTestFiles.TinyModel();
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes[..^40]));
        Assert.Contains("lies outside the file", exception.Message);
        Assert.Contains("blk.0.ffn_up.weight", exception.Message);
    }

    [Fact]
    public void Wrong_magic_is_refused()
    {
        var bytes = GgufTestFiles.TinyModel();
        Encoding.ASCII.GetBytes("GGML").CopyTo(bytes, 0);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("Bad magic", exception.Message);
        Assert.Contains("GGML", exception.Message);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0xFFFFFFFFu)]
    public void Unsupported_version_is_refused(uint version)
    {
        var bytes = GgufTestFiles.TinyModel();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains($"version {version}", exception.Message);
    }

    [Fact]
    public void Version_2_is_accepted()
    {
        var bytes = GgufTestFiles.TinyModel();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
        Assert.Equal(2u, GgufTestFiles.Read(bytes).Version);
    }

    [Fact]
    public void Tensor_count_larger_than_the_file_is_refused_before_allocating()
    {
        var bytes = GgufTestFiles.TinyModel();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ulong.MaxValue / 2);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("tensors but only", exception.Message);
    }

    [Fact]
    public void Metadata_count_larger_than_the_file_is_refused_before_allocating()
    {
        var bytes = GgufTestFiles.TinyModel();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), 1UL << 40);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("metadata entries but only", exception.Message);
    }

    [Fact]
    public void Huge_string_length_is_refused()
    {
        var bytes = GgufTestFiles.TinyModel();
        // The first metadata key's length field follows the 24-byte fixed header.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), ulong.MaxValue);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("claims", exception.Message);
    }

    [Fact]
    public void Tensor_offset_outside_the_file_is_refused()
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var (_, offsetField) = GgufTestFiles.FirstTensorFields(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offsetField), 1UL << 40);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("token_embd.weight", exception.Message);
        Assert.Contains("offset", exception.Message);
    }

    [Fact]
    public void Misaligned_tensor_offset_is_refused()
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var (_, offsetField) = GgufTestFiles.FirstTensorFields(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offsetField), 4);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("not a multiple of the alignment 32", exception.Message);
    }

    [Theory]
    [InlineData(4u, "removed")]
    [InlineData(31u, "removed")]
    [InlineData(1000u, "unknown")]
    public void Unknown_tensor_type_is_refused(uint type, string expected)
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var (typeField, _) = GgufTestFiles.FirstTensorFields(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(typeField), type);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains(expected, exception.Message);
        Assert.Contains($"type {type}", exception.Message);
    }

    [Fact]
    public void Row_size_not_a_multiple_of_the_block_size_is_refused()
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var (typeField, _) = GgufTestFiles.FirstTensorFields(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(typeField), (uint)GgmlType.Q4_0);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("not a multiple of its block size 32", exception.Message);
    }

    [Fact]
    public void Too_many_dimensions_are_refused()
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var start = GgufTestFiles.FirstTensorInfoOffset(bytes);
        var nameLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(start));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(start + 8 + nameLength), 5);
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("5 dimensions", exception.Message);
    }

    [Fact]
    public void Bad_alignment_value_is_refused()
    {
        var bytes = GgufTestFiles.Custom(writer => writer.Add(GgufConstants.AlignmentKey, 48u));
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("not a power of two", exception.Message);
    }

    [Fact]
    public void Invalid_bool_byte_is_refused()
    {
        var bytes = GgufTestFiles.Custom(writer => writer.Add("flag", true));
        // key length (8) + "flag" (4) + type (4) puts the bool's byte at offset 24 + 16.
        bytes[24 + 16] = 7;
        var exception = Assert.Throws<GgufFormatException>(() => GgufTestFiles.Read(bytes));
        Assert.Contains("bool byte 7", exception.Message);
    }

    [Fact]
    public void Random_corruption_never_escapes_as_anything_but_a_format_error()
    {
        var original = GgufTestFiles.TinyModel();
        var headerEnd = GgufTestFiles.FirstTensorInfoOffset(original) + 400;
        var random = new Random(12345);
        for (var trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])original.Clone();
            var flips = random.Next(1, 5);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(0, Math.Min(headerEnd, bytes.Length))] = (byte)random.Next(256);
            }
            try
            {
                GgufValidator.Validate(GgufTestFiles.Read(bytes));
            }
            catch (GgufFormatException)
            {
                // Refused with a message: the outcome wanted for a damaged file.
            }
        }
    }

    [Theory]
    [InlineData("gpt2", "Architecture 'gpt2' is not supported")]
    [InlineData("", "Architecture '' is not supported")]
    public void Unsupported_architecture_is_refused_by_the_validator(string architecture, string expected)
    {
        var bytes = GgufTestFiles.Custom(writer => writer.Add("general.architecture", architecture));
        var exception = Assert.Throws<GgufFormatException>(() => GgufValidator.Validate(GgufTestFiles.Read(bytes)));
        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public void Missing_architecture_is_refused_by_the_validator()
    {
        var bytes = GgufTestFiles.Custom(_ => { });
        var exception = Assert.Throws<GgufFormatException>(() => GgufValidator.Validate(GgufTestFiles.Read(bytes)));
        Assert.Contains("'general.architecture' is missing", exception.Message);
    }

    [Fact]
    public void Architecture_of_the_wrong_type_is_refused_by_the_validator()
    {
        var bytes = GgufTestFiles.Custom(writer => writer.Add("general.architecture", 5u));
        var exception = Assert.Throws<GgufFormatException>(() => GgufValidator.Validate(GgufTestFiles.Read(bytes)));
        Assert.Contains("must be a string", exception.Message);
    }

    [Fact]
    public void Llama_without_hyperparameters_is_refused_by_the_validator()
    {
        var bytes = GgufTestFiles.Custom(writer => writer.Add("general.architecture", "llama"));
        var exception = Assert.Throws<GgufFormatException>(() => GgufValidator.Validate(GgufTestFiles.Read(bytes)));
        Assert.Contains("'llama.context_length' is missing", exception.Message);
    }

    [Fact]
    public void Writer_refuses_inconsistent_input()
    {
        var writer = new GgufWriter();
        writer.Add("key", 1u);
        Assert.Throws<ArgumentException>(() => writer.Add("key", 2u));
        Assert.Throws<ArgumentException>(() => writer.Add("mismatch", new GgufValue(GgufValueType.UInt32, "text")));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.Q4_0, [31], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.F32, [2], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor(new string('n', 64), GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(alignment: 24));
    }

    [Fact]
    public void Writer_refuses_a_callback_that_writes_the_wrong_byte_count()
    {
        var writer = new GgufWriter();
        writer.AddTensor("t", GgmlType.F32, [4], stream => stream.Write(new byte[12]));
        var exception = Assert.Throws<InvalidOperationException>(() => writer.WriteTo(new MemoryStream()));
        Assert.Contains("wrote 12 bytes; the tensor needs 16", exception.Message);
    }

    [Fact]
    public void Custom_alignment_is_written_and_honoured()
    {
        var writer = new GgufWriter(alignment: 64);
        writer.AddTensor("a", GgmlType.F32, [3], new byte[12]);
        writer.AddTensor("b", GgmlType.F32, [3], new byte[12]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        var file = GgufTestFiles.Read(stream.ToArray());
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.Equal(64UL, file.Tensors[1].Offset);
    }

    [Theory]
    [InlineData(0, 64, 4, "Layers")]
    [InlineData(2, 60, 8, "multiple of Heads")]
    [InlineData(2, 64, 3, "multiple of Heads")]
    public void Tiny_model_options_refuse_inconsistent_shapes(int layers, int embd, int heads, string expected)
    {
        var options = new TinyModelOptions { Layers = layers, EmbeddingSize = embd, Heads = heads };
        var exception = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public void Tiny_model_options_refuse_kv_heads_that_do_not_divide_heads()
    {
        var options = new TinyModelOptions { Heads = 4, KvHeads = 3 };
        Assert.Contains("KvHeads", Assert.Throws<ArgumentException>(options.Validate).Message);
    }
}
