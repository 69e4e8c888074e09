using System.Net;
using System.Net.Http.Headers;

namespace Seedream.Storage
{
    /// <summary>
    /// Streams a slice of a file as a request body, reporting progress. The file is read in small
    /// chunks as the socket takes them, so memory does not grow with the file size.
    /// </summary>
    internal sealed class FileSliceContent : HttpContent
    {
        private readonly string _path;
        private readonly long _offset;
        private readonly long _length;
        private readonly Action<long>? _progress;

        public FileSliceContent(string path, long offset, long length, string contentType, Action<long>? progress)
        {
            _path = path;
            _offset = offset;
            _length = length;
            _progress = progress;
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            Headers.ContentLength = length;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var buffer = new byte[81920];
            using var fs = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            fs.Position = _offset;
            var remaining = _length;
            while (remaining > 0)
            {
                var n = await fs.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, remaining)).ConfigureAwait(false);
                if (n == 0) throw new IOException($"The file '{_path}' became shorter while it was being uploaded.");
                await stream.WriteAsync(buffer, 0, n).ConfigureAwait(false);
                remaining -= n;
                _progress?.Invoke(n);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
