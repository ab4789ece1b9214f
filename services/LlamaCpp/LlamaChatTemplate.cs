using System.Runtime.InteropServices;
using System.Text;
using DomainPlatform.LlamaCpp.Interop;
using Microsoft.Extensions.Logging;

namespace DomainPlatform.LlamaCpp;

/// <summary>llama_chat_apply_template: llama.cpp recognises a template by name or by its Jinja text.</summary>
internal static class LlamaChatTemplate
{
    public static string Apply(string template, IReadOnlyList<LlamaChatMessage> messages, bool addAssistantPrompt)
    {
        var result = TryApply(template, messages, addAssistantPrompt);
        if (result is not null)
        {
            return result;
        }
        if (template != LlamaModel.FallbackChatTemplate)
        {
            LlamaRuntime.Logger.LogWarning("llama.cpp does not recognise the model's chat template; using {Fallback}", LlamaModel.FallbackChatTemplate);
            result = TryApply(LlamaModel.FallbackChatTemplate, messages, addAssistantPrompt);
        }
        return result ?? throw new LlamaException("llama.cpp could not apply the chat template.");
    }

    private static unsafe string? TryApply(string template, IReadOnlyList<LlamaChatMessage> messages, bool addAssistantPrompt)
    {
        var strings = new List<nint>(messages.Count * 2 + 1);
        try
        {
            var templatePointer = Marshal.StringToCoTaskMemUTF8(template);
            strings.Add(templatePointer);
            var native = new LlamaChatMessageNative[messages.Count];
            var estimate = template.Length;
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i] ?? throw new ArgumentException($"Message {i} is null.", nameof(messages));
                ArgumentNullException.ThrowIfNull(message.Role);
                ArgumentNullException.ThrowIfNull(message.Content);
                var role = Marshal.StringToCoTaskMemUTF8(message.Role);
                strings.Add(role);
                var content = Marshal.StringToCoTaskMemUTF8(message.Content);
                strings.Add(content);
                native[i] = new LlamaChatMessageNative { Role = role, Content = content };
                estimate += Encoding.UTF8.GetByteCount(message.Role) + Encoding.UTF8.GetByteCount(message.Content) + 64;
            }

            var buffer = new byte[Math.Max(estimate * 2, 256)];
            fixed (LlamaChatMessageNative* nativePointer = native)
            {
                while (true)
                {
                    int length;
                    fixed (byte* bufferPointer = buffer)
                    {
                        length = NativeMethods.llama_chat_apply_template((byte*)templatePointer, nativePointer, (nuint)native.Length,
                            addAssistantPrompt, bufferPointer, buffer.Length);
                    }
                    if (length < 0)
                    {
                        return null;
                    }
                    if (length <= buffer.Length)
                    {
                        return Encoding.UTF8.GetString(buffer, 0, length);
                    }
                    buffer = new byte[length];
                }
            }
        }
        finally
        {
            foreach (var pointer in strings)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }
}
