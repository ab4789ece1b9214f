using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Tests;

public sealed class ModelLoadTests(TinyModelFixture fixture)
{
    [Fact]
    public void Llama_cpp_reads_back_the_shape_the_writer_wrote()
    {
        var model = fixture.Model;
        var options = TinyModelFixture.Options;
        Assert.Equal(options.Layers, model.LayerCount);
        Assert.Equal(options.EmbeddingSize, model.EmbeddingSize);
        Assert.Equal(options.Heads, model.HeadCount);
        Assert.Equal(options.EffectiveKvHeads, model.KvHeadCount);
        Assert.Equal(options.ContextLength, model.TrainContextLength);
        Assert.Equal(fixture.Summary.VocabularySize, model.Vocab.Count);
        Assert.Equal(fixture.Summary.ParameterCount, model.ParameterCount);
        Assert.Equal("test-tiny", model.GetMetadata("general.name"));
        Assert.Equal("llama", model.GetAllMetadata()["general.architecture"]);
        Assert.Null(model.GetMetadata("no.such.key"));
        Assert.Contains("llama", model.Description);
    }

    [Theory]
    [InlineData(GgmlType.F32, 1, 32, 2, 1)]
    [InlineData(GgmlType.F16, 3, 96, 6, 3)]
    public void Generated_models_of_other_shapes_load(GgmlType type, int layers, int embd, int heads, int kvHeads)
    {
        var path = fixture.NewPath("shape.gguf");
        var summary = TinyModelGenerator.Write(path, new TinyModelOptions
        {
            Layers = layers, EmbeddingSize = embd, Heads = heads, KvHeads = kvHeads, TensorType = type, ContextLength = 256,
        });
        using var model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0, UseMmap = false });
        Assert.Equal(layers, model.LayerCount);
        Assert.Equal(embd, model.EmbeddingSize);
        Assert.Equal(heads, model.HeadCount);
        Assert.Equal(kvHeads, model.KvHeadCount);
        Assert.Equal(summary.ParameterCount, model.ParameterCount);
        Assert.Equal(type == GgmlType.F16 ? "1" : "0", model.GetMetadata("general.file_type"));
    }

    [Fact]
    public void Progress_callback_sees_the_load_finish_and_can_cancel_it()
    {
        var seen = new List<float>();
        using (LlamaModel.Load(fixture.ModelPath, new LlamaModelOptions { GpuLayers = 0, Progress = p => { seen.Add(p); return true; } }))
        {
            Assert.NotEmpty(seen);
            Assert.Equal(1f, seen[^1]);
        }

        var exception = Assert.Throws<LlamaException>(() =>
            LlamaModel.Load(fixture.ModelPath, new LlamaModelOptions { GpuLayers = 0, Progress = _ => false }));
        Assert.Contains("could not load", exception.Message);
    }

    [Fact]
    public void Saved_model_loads_again_with_the_same_shape()
    {
        var path = fixture.NewPath("saved.gguf");
        fixture.Model.SaveToFile(path);
        using var reloaded = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        Assert.Equal(fixture.Model.LayerCount, reloaded.LayerCount);
        Assert.Equal(fixture.Model.ParameterCount, reloaded.ParameterCount);
        Assert.Equal(fixture.Model.Vocab.Count, reloaded.Vocab.Count);
    }

    [Fact]
    public void Runtime_reports_the_cpu_device_and_the_native_directory()
    {
        var info = LlamaRuntime.Info;
        Assert.Contains(info.Devices, device => device.Kind == LlamaDeviceKind.Cpu);
        Assert.True(File.Exists(LlamaRuntime.FindLibrary(info.NativeDirectory, "llama")));
        Assert.False(string.IsNullOrWhiteSpace(info.SystemInfo));
    }

    [Fact]
    public void Missing_file_is_refused_before_llama_cpp()
    {
        var attempts = LlamaModel.NativeLoadAttempts;
        Assert.Throws<FileNotFoundException>(() => LlamaModel.Load(fixture.NewPath("absent.gguf")));
        Assert.Equal(attempts, LlamaModel.NativeLoadAttempts);
    }

    public static TheoryData<string> DamagedFiles => new() { "truncated", "wrong-magic", "offset-outside-file", "wrong-arch", "empty" };

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public void Damaged_file_is_refused_with_a_clear_error_and_never_reaches_llama_cpp(string damage)
    {
        var bytes = File.ReadAllBytes(fixture.ModelPath);
        var damaged = damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "wrong-magic" => [.. "GGJT"u8, .. bytes[4..]],
            "offset-outside-file" => bytes[..^1],
            "wrong-arch" => GgufTestFiles.Custom(writer => writer.Add("general.architecture", "gpt2")),
            _ => [],
        };
        var path = fixture.NewPath($"{damage}.gguf");
        File.WriteAllBytes(path, damaged);

        var attempts = LlamaModel.NativeLoadAttempts;
        var exception = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(path));
        Assert.Contains(path, exception.Message);
        Assert.Equal(attempts, LlamaModel.NativeLoadAttempts);
    }

    [Fact]
    public void Disposed_model_refuses_further_use()
    {
        var model = LlamaModel.Load(fixture.ModelPath, new LlamaModelOptions { GpuLayers = 0 });
        var vocab = model.Vocab;
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => vocab.Tokenize("hello"));
        Assert.Throws<ObjectDisposedException>(() => model.CreateContext());
    }
}
