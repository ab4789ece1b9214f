using System.Collections;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The input rule of <see cref="JsonInputRules"/> on gRPC: no string field of a request, however deep, holds a NUL
/// (protobuf guarantees valid UTF-8, so a lone surrogate cannot arrive). Refused with InvalidArgument naming the field.
/// </summary>
internal sealed class GrpcInputRules : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, responseStream, context);
    }

    private static void Check(object? request)
    {
        if (request is IMessage message && Find(message, "") is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{refusal.Field}: {refusal.Why}"));
        }
    }

    private static (string Field, string Why)? Find(IMessage message, string prefix)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var name = prefix + field.JsonName;
            var value = field.Accessor.GetValue(message);
            if (field.IsMap && value is IDictionary map)
            {
                foreach (DictionaryEntry entry in map)
                {
                    if ((FindIn(entry.Key, name) ?? FindIn(entry.Value, $"{name}[{entry.Key}]")) is { } found) return found;
                }
            }
            else if (field.IsRepeated && value is IList list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (FindIn(list[i], $"{name}[{i}]") is { } found) return found;
                }
            }
            else if (FindIn(value, name) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static (string Field, string Why)? FindIn(object? value, string name) => value switch
    {
        string text when JsonInputRules.Refusal(text) is { } why => (name, why),
        IMessage nested => Find(nested, name + "."),
        _ => null,
    };
}
