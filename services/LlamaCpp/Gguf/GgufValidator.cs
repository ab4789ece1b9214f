namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>
/// Checks that a GGUF file is one this platform lets llama.cpp load: a well-formed header (see
/// <see cref="GgufReader"/>), a supported architecture with its hyperparameters, a vocabulary and
/// the token embedding tensor.
/// </summary>
public static class GgufValidator
{
    public static readonly IReadOnlySet<string> SupportedArchitectures = new HashSet<string>(StringComparer.Ordinal) { "llama" };

    // Keys llama.cpp needs for the llama architecture; "{arch}" is replaced by the architecture name.
    private static readonly string[] RequiredIntegerKeys =
    [
        "{arch}.context_length",
        "{arch}.embedding_length",
        "{arch}.block_count",
        "{arch}.feed_forward_length",
        "{arch}.attention.head_count",
    ];

    private const string RmsEpsilonKey = "{arch}.attention.layer_norm_rms_epsilon";

    /// <summary>Reads and validates the file; returns its header or throws <see cref="GgufFormatException"/>.</summary>
    public static GgufFile ValidateFile(string path, IReadOnlySet<string>? supportedArchitectures = null)
    {
        GgufFile file;
        try
        {
            file = GgufReader.Read(path);
        }
        catch (GgufFormatException exception)
        {
            throw new GgufFormatException($"'{path}' is not a valid GGUF file: {exception.Message}");
        }
        try
        {
            Validate(file, supportedArchitectures);
        }
        catch (GgufFormatException exception)
        {
            throw new GgufFormatException($"'{path}' cannot be loaded: {exception.Message}");
        }
        return file;
    }

    public static void Validate(GgufFile file, IReadOnlySet<string>? supportedArchitectures = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var supported = supportedArchitectures ?? SupportedArchitectures;

        if (!file.Metadata.TryGetValue(GgufConstants.ArchitectureKey, out var architectureValue))
        {
            throw new GgufFormatException($"Metadata '{GgufConstants.ArchitectureKey}' is missing.");
        }
        var architecture = architectureValue.AsString()
            ?? throw new GgufFormatException($"Metadata '{GgufConstants.ArchitectureKey}' must be a string, not {architectureValue.Type}.");
        if (!supported.Contains(architecture))
        {
            throw new GgufFormatException(
                $"Architecture '{architecture}' is not supported; supported: {string.Join(", ", supported.Order())}.");
        }

        foreach (var template in RequiredIntegerKeys)
        {
            var key = template.Replace("{arch}", architecture, StringComparison.Ordinal);
            if (!file.Metadata.TryGetValue(key, out var value))
            {
                throw new GgufFormatException($"Metadata '{key}' is missing.");
            }
            if (value.AsInt64() is not > 0)
            {
                throw new GgufFormatException($"Metadata '{key}' must be a positive integer, not {value}.");
            }
        }
        var epsilonKey = RmsEpsilonKey.Replace("{arch}", architecture, StringComparison.Ordinal);
        if (!file.Metadata.TryGetValue(epsilonKey, out var epsilon) || epsilon.AsDouble() is not > 0)
        {
            throw new GgufFormatException($"Metadata '{epsilonKey}' must be a positive number.");
        }

        if (!file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens)
            || tokens.Type != GgufValueType.Array || tokens.ElementType != GgufValueType.String || tokens.ArrayLength == 0)
        {
            throw new GgufFormatException("Metadata 'tokenizer.ggml.tokens' must be a non-empty string array (the vocabulary).");
        }

        if (file.Tensors.Count == 0)
        {
            throw new GgufFormatException("The file holds no tensors.");
        }
        if (!file.Tensors.Any(tensor => tensor.Name == "token_embd.weight"))
        {
            throw new GgufFormatException("Tensor 'token_embd.weight' is missing.");
        }
    }
}
