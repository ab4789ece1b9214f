namespace DomainPlatform.LlamaCpp.Gguf;

/// <summary>
/// A small SentencePiece-style vocabulary: the special tokens, the 256 byte-fallback tokens
/// &lt;0x00&gt;..&lt;0xFF&gt;, every printable ASCII character, and whole words with all their prefixes
/// (so llama.cpp's SPM merge always has a path from characters to the word).
/// </summary>
public sealed record TinyVocabulary(string[] Tokens, float[] Scores, int[] Types)
{
    public const int Unknown = 0;
    public const int Bos = 1;
    public const int Eos = 2;
    public const int ImStart = 3;
    public const int ImEnd = 4;
    public const int FirstByteToken = 5;

    /// <summary>SentencePiece's visible space, U+2581.</summary>
    public const string SpaceMarker = "\u2581";

    // llama_token_type values from llama.h.
    private const int Normal = 1;
    private const int UnknownType = 2;
    private const int Control = 3;
    private const int ByteType = 6;

    private static readonly string[] Words =
    [
        "the", "and", "of", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "are", "be",
        "this", "by", "at", "or", "from", "an", "not", "have", "has", "but", "we", "you", "they", "can",
        "will", "all", "one", "data", "model", "domain", "train", "training", "hello", "world", "user",
        "assistant", "system", "answer", "question", "value", "table", "order", "customer", "product",
        "The", "Hello", "What", "How", "ing", "ed", "er", "es", "ly", "tion",
    ];

    public static TinyVocabulary Build()
    {
        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(string text, float score, int type)
        {
            if (seen.Add(text))
            {
                tokens.Add(text);
                scores.Add(score);
                types.Add(type);
            }
        }

        Add("<unk>", 0f, UnknownType);
        Add("<s>", 0f, Control);
        Add("</s>", 0f, Control);
        Add("<|im_start|>", 0f, Control);
        Add("<|im_end|>", 0f, Control);
        for (var b = 0; b < 256; b++)
        {
            Add($"<0x{b:X2}>", 0f, ByteType);
        }
        for (var c = 0x20; c < 0x7f; c++)
        {
            Add(c == ' ' ? SpaceMarker : ((char)c).ToString(), -1000f, Normal);
        }
        // Longer pieces score higher so the merge prefers whole words; prefixes keep every word reachable.
        foreach (var word in Words)
        {
            foreach (var form in new[] { word, SpaceMarker + word })
            {
                for (var length = 2; length <= form.Length; length++)
                {
                    Add(form[..length], -100f + length, Normal);
                }
            }
        }
        return new TinyVocabulary([.. tokens], [.. scores], [.. types]);
    }
}
