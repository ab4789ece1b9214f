using System.Runtime.InteropServices;
using System.Text;
using DomainPlatform.LlamaCpp.Interop;

namespace DomainPlatform.LlamaCpp;

/// <summary>The model's tokenizer. Lives as long as its <see cref="LlamaModel"/>.</summary>
public sealed class LlamaVocab
{
    private readonly LlamaModel _model;
    private readonly nint _vocab;

    internal LlamaVocab(LlamaModel model, nint vocab)
    {
        _model = model;
        _vocab = vocab;
        Count = NativeMethods.llama_vocab_n_tokens(vocab);
        Bos = NativeMethods.llama_vocab_bos(vocab);
        Eos = NativeMethods.llama_vocab_eos(vocab);
        Eot = NativeMethods.llama_vocab_eot(vocab);
        Newline = NativeMethods.llama_vocab_nl(vocab);
        AddsBos = NativeMethods.llama_vocab_get_add_bos(vocab);
    }

    /// <summary>Number of tokens; valid ids are 0..Count-1.</summary>
    public int Count { get; }
    /// <summary>Beginning-of-sequence token, or -1.</summary>
    public int Bos { get; }
    public int Eos { get; }
    /// <summary>End-of-turn token, or -1.</summary>
    public int Eot { get; }
    public int Newline { get; }
    /// <summary>Whether tokenizing with addSpecial prepends <see cref="Bos"/>.</summary>
    public bool AddsBos { get; }

    /// <summary>True for tokens that end generation (EOS, EOT and similar).</summary>
    public bool IsEndOfGeneration(int token)
    {
        using var lease = new HandleLease(_model.Handle);
        return IsValid(token) && NativeMethods.llama_vocab_is_eog(_vocab, token);
    }

    public bool IsControl(int token)
    {
        using var lease = new HandleLease(_model.Handle);
        return IsValid(token) && NativeMethods.llama_vocab_is_control(_vocab, token);
    }

    public bool IsValid(int token) => token >= 0 && token < Count;

    /// <summary>The token's text as stored in the vocabulary (SPM pieces use U+2581 for spaces).</summary>
    public string GetText(int token)
    {
        EnsureValid(token);
        using var lease = new HandleLease(_model.Handle);
        return Marshal.PtrToStringUTF8(NativeMethods.llama_vocab_get_text(_vocab, token)) ?? "";
    }

    /// <summary>Tokenizes UTF-8 text. <paramref name="addSpecial"/> adds BOS/EOS as the model asks; <paramref name="parseSpecial"/> turns "&lt;|im_end|&gt;"-style text into control tokens.</summary>
    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new int[bytes.Length + 8];
        using var lease = new HandleLease(_model.Handle);
        unsafe
        {
            fixed (byte* textPointer = bytes)
            {
                while (true)
                {
                    int count;
                    fixed (int* tokenPointer = tokens)
                    {
                        count = NativeMethods.llama_tokenize(_vocab, textPointer, bytes.Length, tokenPointer, tokens.Length, addSpecial, parseSpecial);
                    }
                    if (count == int.MinValue)
                    {
                        throw new LlamaException("Tokenization overflowed int32.");
                    }
                    if (count >= 0)
                    {
                        return tokens[..count];
                    }
                    tokens = new int[-count];
                }
            }
        }
    }

    /// <summary>The bytes one token stands for; <paramref name="special"/> renders control tokens as their text.</summary>
    public byte[] TokenToBytes(int token, bool special = false)
    {
        EnsureValid(token);
        var buffer = new byte[64];
        using var lease = new HandleLease(_model.Handle);
        unsafe
        {
            while (true)
            {
                int length;
                fixed (byte* pointer = buffer)
                {
                    length = NativeMethods.llama_token_to_piece(_vocab, token, pointer, buffer.Length, 0, special);
                }
                if (length >= 0)
                {
                    return buffer[..length];
                }
                buffer = new byte[-length];
            }
        }
    }

    /// <summary>One token as text; a token holding part of a UTF-8 sequence decodes to U+FFFD, so stream with <see cref="Detokenize"/> or a decoder over <see cref="TokenToBytes"/>.</summary>
    public string TokenToPiece(int token, bool special = false) => Encoding.UTF8.GetString(TokenToBytes(token, special));

    /// <summary>Turns tokens back into text, optionally dropping BOS/EOS and rendering control tokens.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        foreach (var token in tokens)
        {
            EnsureValid(token);
        }
        var buffer = new byte[Math.Max(tokens.Length * 8, 64)];
        using var lease = new HandleLease(_model.Handle);
        unsafe
        {
            fixed (int* tokenPointer = tokens)
            {
                while (true)
                {
                    int length;
                    fixed (byte* pointer = buffer)
                    {
                        length = NativeMethods.llama_detokenize(_vocab, tokenPointer, tokens.Length, pointer, buffer.Length, removeSpecial, unparseSpecial);
                    }
                    if (length == int.MinValue)
                    {
                        throw new LlamaException("Detokenization overflowed int32.");
                    }
                    if (length >= 0)
                    {
                        return Encoding.UTF8.GetString(buffer, 0, length);
                    }
                    buffer = new byte[-length];
                }
            }
        }
    }

    private void EnsureValid(int token)
    {
        if (!IsValid(token))
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token ids run from 0 to {Count - 1}.");
        }
    }
}
