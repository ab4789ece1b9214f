using System.Globalization;
using System.Net;
using System.Text;
using CsCheck;

namespace DomainPlatform.TestSupport;

/// <summary>A JSON text and whether a service must refuse it whatever the field (a NUL, a lone surrogate, a number beyond double, broken JSON).</summary>
public sealed record HostileJson(string Json, bool MustBeRefused)
{
    public override string ToString() => Json;
}

/// <summary>
/// Generated request bodies that put hostile values into every field of an endpoint (NUL, lone surrogates,
/// control characters, huge and named numbers, wrong types, broken JSON), and the property every endpoint
/// must keep: never a 5xx, every 4xx in its path's documented shape (problem details; OpenAI's error on /v1), and no 2xx for what no field may hold.
/// </summary>
public static class HostileBodies
{
    private static Gen<HostileJson> Fixed(string json, bool refused) => Gen.Const(new HostileJson(json, refused));

    /// <summary>Text: hostile escapes, random UTF-16 (lone surrogates included), control characters, blanks, plausible values.</summary>
    public static readonly Gen<HostileJson> Text = Gen.OneOf(
        Fixed("\"a\\u0000b\"", true),
        Fixed("\"\\ud800\"", true),
        Fixed("\"x\\udc00y\"", true),
        Fixed("\"\\ud83d\\ude00 ok\"", false),
        Fixed("\"tab\\there\\u001b[31m\"", false),
        Fixed("\"\"", false),
        Fixed("\"   \"", false),
        Fixed("\"1.0.0\"", false),
        Fixed("\"NaN\"", false),
        Fixed($"\"{new string('x', 5000)}\"", false),
        Gen.Char.Array[0, 12].Select(Escaped));

    /// <summary>Numbers: beyond double, at its edges, denormal, beyond long, named literals, random ones.</summary>
    public static readonly Gen<HostileJson> Number = Gen.OneOf(
        Fixed("1e400", true),
        Fixed("-1e400", true),
        Fixed("1e308", false),
        Fixed("-1e308", false),
        Fixed("1e30", false),
        Fixed("1e-320", false),
        Fixed("18446744073709551617", false),
        Fixed("-0", false),
        Fixed("\"NaN\"", false),
        Fixed("\"Infinity\"", false),
        Fixed("\"-Infinity\"", false),
        Fixed("\"1e400\"", false),
        Gen.Long.Select(l => new HostileJson(l.ToString(CultureInfo.InvariantCulture), false)),
        Gen.Double.Select(d => new HostileJson(d.ToString("R", CultureInfo.InvariantCulture), !double.IsFinite(d))));

    /// <summary>Any value: text, a number, another type, or a short list of text and numbers.</summary>
    public static readonly Gen<HostileJson> Value = Gen.Frequency(
        (4, Text),
        (4, Number),
        (1, Gen.OneOf(Fixed("true", false), Fixed("null", false), Fixed("{}", false), Fixed("[]", false))),
        (2, Gen.OneOf(Text, Number).Array[0, 4].Select(items =>
            new HostileJson($"[{string.Join(",", items.Select(i => i.Json))}]", items.Any(i => i.MustBeRefused)))));

    /// <summary>
    /// Mostly the plausible <paramref name="json"/>, else any hostile value: bodies then get past the other
    /// fields' checks often enough for one hostile field to reach the storage behind it.
    /// </summary>
    public static Gen<HostileJson> Mostly(string json) => Gen.Frequency((3, Fixed(json, false)), (1, Value));

    /// <summary>An object whose fields are each present or not, each with a value from its generator.</summary>
    public static Gen<HostileJson> Object(params (string Name, Gen<HostileJson> Value)[] fields)
    {
        var body = Gen.Const(new HostileJson("", false));
        foreach (var (name, value) in fields)
        {
            body = Gen.Select(body, Gen.Int[0, 3], value, (sofar, present, v) => present == 0
                ? sofar
                : new HostileJson($"{sofar.Json}{(sofar.Json.Length == 0 ? "" : ",")}\"{name}\":{v.Json}", sofar.MustBeRefused || v.MustBeRefused));
        }
        return body.Select(b => b with { Json = $"{{{b.Json}}}" });
    }

    /// <summary>An object of the named fields, each with any value.</summary>
    public static Gen<HostileJson> Object(params string[] fields) => Object(fields.Select(f => (f, Value)).ToArray());

    /// <summary>Now and then the body is cut short, which no endpoint may accept.</summary>
    public static Gen<HostileJson> SometimesBroken(Gen<HostileJson> body) =>
        Gen.Select(body, Gen.Int[0, 19], (b, cut) => cut < 2 && b.Json.Length > 1 ? new HostileJson(b.Json[..Math.Max(1, b.Json.Length * (cut + 1) / 3)], true) : b);

    /// <summary>
    /// Sends each generated body to <paramref name="path"/> and fails (with the shrunk body) on a 5xx, a 4xx that is not
    /// in its path's documented shape, or a 2xx for a body that holds what no field may.
    /// </summary>
    public static Task NeverFailAsync(HttpClient client, HttpMethod method, string path, Gen<HostileJson> bodies, long iterations, CancellationToken ct) =>
        SometimesBroken(bodies).SampleAsync(async body =>
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.Json, Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(ct);
            if (status >= 500) throw new InvalidOperationException($"{method} {path}: {status} {text}");
            if (status >= 400 && ProblemAssertions.NotInDocumentedShape(path, response, text) is { } shape)
            {
                throw new InvalidOperationException($"{method} {path}: {status}: {shape}");
            }
            if (body.MustBeRefused && response.StatusCode is >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices)
            {
                throw new InvalidOperationException($"{method} {path}: {status} for a body no field may hold: {text}");
            }
        }, iter: iterations, threads: 1);

    private static HostileJson Escaped(char[] chars)
    {
        var json = new StringBuilder("\"");
        foreach (var c in chars) json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        var text = new string(chars);
        var refused = text.Contains('\0') || HasLoneSurrogate(text);
        return new HostileJson(json.Append('"').ToString(), refused);
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }
}
