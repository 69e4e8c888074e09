using System.Net;

namespace Seedream.Protocol.Transport
{
    /// <summary>A body stream that tells its attempt whenever bytes move, so the deadline starts over.</summary>
    internal sealed class DeadlineStream(Stream inner, Attempt attempt) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => Moved(inner.Read(buffer, offset, count));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Moved(await inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Moved(count);
        }

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            Moved(count);
        }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Moved(int n)
        {
            if (n > 0) attempt.Progress();
            return n;
        }
    }

    /// <summary>
    /// Wraps a request or response body so that its bytes pass through a <see cref="DeadlineStream"/>;
    /// the headers are the inner body's.
    /// </summary>
    internal sealed class DeadlineContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Attempt _attempt;

        public DeadlineContent(HttpContent inner, Attempt attempt)
        {
            (_inner, _attempt) = (inner, attempt);
            foreach (var h in inner.Headers) Headers.TryAddWithoutValidation(h.Key, h.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            // The wrapper is left undisposed: the stream belongs to the caller.
            _inner.CopyToAsync(new DeadlineStream(stream, _attempt));

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new DeadlineStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), _attempt);

        protected override bool TryComputeLength(out long length)
        {
            var declared = _inner.Headers.ContentLength;
            length = declared ?? 0;
            return declared.HasValue;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
