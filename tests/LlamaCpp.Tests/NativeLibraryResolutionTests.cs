namespace DomainPlatform.LlamaCpp.Tests;

public sealed class NativeLibraryResolutionTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("llama-resolve-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Folder(string relative, params string[] files)
    {
        var directory = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(directory);
        foreach (var file in files)
        {
            File.WriteAllBytes(Path.Combine(directory, file), []);
        }
        return directory;
    }

    [Theory]
    [InlineData("llama", new[] { "libllama.so", "libllama.v0.5.0.so" }, "libllama.so")]
    [InlineData("llama", new[] { "libllama-common.so", "libllama.v0.5.0.so" }, "libllama.v0.5.0.so")]
    [InlineData("llama", new[] { "libllama.cuda.v0.5.0.so" }, "libllama.cuda.v0.5.0.so")]
    [InlineData("llama", new[] { "libllama.so.0" }, "libllama.so.0")]
    [InlineData("ggml", new[] { "libggml-base.so", "libggml-cpu-x64.so", "libggml.v0.5.0.so" }, "libggml.v0.5.0.so")]
    [InlineData("ggml-base", new[] { "libggml-base.so", "libggml.v0.5.0.so" }, "libggml-base.so")]
    public void Library_names_from_npm_and_cmake_builds_are_found(string name, string[] files, string expected)
    {
        var directory = Folder(Guid.NewGuid().ToString("N"), files);
        Assert.Equal(Path.Combine(directory, expected), LlamaRuntime.FindLibrary(directory, name));
    }

    [Fact]
    public void Missing_library_or_folder_is_not_found()
    {
        var directory = Folder("empty", "libggml-base.so", "libllama-common.so");
        Assert.Null(LlamaRuntime.FindLibrary(directory, "llama"));
        Assert.Null(LlamaRuntime.FindLibrary(directory, "ggml"));
        Assert.Null(LlamaRuntime.FindLibrary(Path.Combine(directory, "absent"), "llama"));
    }

    [Fact]
    public void Repository_root_is_the_folder_holding_the_solution()
    {
        Folder("repo", "DomainPlatform.sln");
        var nested = Folder("repo/a/b/c");
        Assert.Equal(Path.Combine(_root.FullName, "repo"), LlamaRuntime.FindRepositoryRoot(nested));
        Assert.Null(LlamaRuntime.FindRepositoryRoot(Folder("elsewhere")));
    }

    [Fact]
    public void Explicit_directory_wins_and_must_hold_libllama()
    {
        var good = Folder("explicit", "libllama.so", "libggml-cuda.so");
        Assert.Equal((good, true), LlamaRuntime.ResolveNativeDirectory(new LlamaRuntimeOptions { NativeDirectory = good }));

        var bad = Folder("explicit-empty");
        var exception = Assert.Throws<LlamaException>(() => LlamaRuntime.ResolveNativeDirectory(new LlamaRuntimeOptions { NativeDirectory = bad }));
        Assert.Contains("No libllama", exception.Message);
    }

    [Fact]
    public void Repository_cpu_folder_is_used_when_cuda_is_absent_or_unusable()
    {
        var root = Folder("repo2", "DomainPlatform.sln");
        var cpu = Folder("repo2/.native/linux-x64", "libllama.v0.5.0.so");
        var options = new LlamaRuntimeOptions { RepositoryRoot = root };
        Assert.Equal((cpu, false), LlamaRuntime.ResolveNativeDirectory(options));

        Folder("repo2/.native/linux-x64-cuda", "libllama.cuda.v0.5.0.so");
        var (directory, isCuda) = LlamaRuntime.ResolveNativeDirectory(options);
        if (!File.Exists("/dev/nvidiactl") && !File.Exists("/proc/driver/nvidia/version"))
        {
            Assert.Equal((cpu, false), (directory, isCuda));
        }
        Assert.Equal((cpu, false), LlamaRuntime.ResolveNativeDirectory(options with { PreferCuda = false }));
    }
}
