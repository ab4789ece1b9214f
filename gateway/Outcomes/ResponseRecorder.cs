using System.Diagnostics;

namespace DomainPlatform.Gateway.Outcomes;

/// <summary>
/// Passes the response through untouched (every write and flush goes straight on, so streams stay
/// streams) while noting when the first byte left and keeping either the whole body (up to a limit,
/// for the cache) or its tail (where the usage figures are).
/// </summary>
internal sealed class ResponseRecorder(Stream inner, long startTimestamp, int keepWholeUpTo) : Stream
{
    private const int TailBytes = 4096;
    private readonly MemoryStream _kept = new();
    private bool _overflowed;

    public double? FirstByteMs { get; private set; }

    public long BytesWritten { get; private set; }

    /// <summary>The whole body when it fit within the limit, else null.</summary>
    public byte[]? WholeBody => keepWholeUpTo > 0 && !_overflowed ? _kept.ToArray() : null;

    /// <summary>The last few KB of the body as text.</summary>
    public string Tail
    {
        get
        {
            var bytes = _kept.ToArray();
            var start = Math.Max(0, bytes.Length - TailBytes);
            return System.Text.Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Note(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Note(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    private void Note(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        FirstByteMs ??= Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        BytesWritten += data.Length;
        _kept.Write(data);
        var limit = Math.Max(keepWholeUpTo, TailBytes);
        if (_kept.Length > limit)
        {
            // Keep only the tail from here on: the whole body no longer fits.
            _overflowed = true;
            var tail = _kept.ToArray()[^TailBytes..];
            _kept.SetLength(0);
            _kept.Write(tail);
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
