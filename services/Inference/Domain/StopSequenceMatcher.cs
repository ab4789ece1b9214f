using System.Text;

namespace DomainPlatform.Inference.Domain;

/// <summary>
/// Streams generated text while watching for stop sequences: text that could be the start of a stop
/// sequence is held back until it is known not to be one, and nothing from a stop sequence on is emitted.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _pending = new();

    public StopSequenceMatcher(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        if (stops.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Stop sequences must not be empty.", nameof(stops));
        }
        _stops = [.. stops];
    }

    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns the part that can be sent now.</summary>
    public string Append(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (Stopped)
        {
            return "";
        }
        _pending.Append(piece);
        if (_stops.Length == 0)
        {
            return Drain(_pending.Length);
        }
        var text = _pending.ToString();
        var earliest = -1;
        foreach (var stop in _stops)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (earliest < 0 || index < earliest))
            {
                earliest = index;
            }
        }
        if (earliest >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..earliest];
        }
        var held = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > held; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    held = length;
                    break;
                }
            }
        }
        return Drain(text.Length - held);
    }

    /// <summary>The held-back text, when generation ends without a stop sequence.</summary>
    public string Flush() => Stopped ? "" : Drain(_pending.Length);

    private string Drain(int count)
    {
        var emitted = _pending.ToString(0, count);
        _pending.Remove(0, count);
        return emitted;
    }
}
