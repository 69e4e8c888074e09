using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;

namespace Seedream.Core.Tests.Fuzz;

/// <summary>
/// Thousands of seeded hostile bodies through every response parser: status, error and result
/// JSON, SSE frames, and whole calls over an in-memory handler. The only exceptions allowed out
/// are the documented ones (FalApiException, FalStreamException, FormatException from the SSE
/// parser); anything else (NullReference, InvalidOperation, overflow, stack overflow) is a bug.
/// </summary>
public sealed class ParserFuzzTests
{
    private const int Iterations = 3000;
    private static readonly JobRef Job = new(EndpointId.Parse(EndpointId.SeedreamV5LiteEdit), "2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d");

    private static FalClient NewClient(HttpMessageHandler? handler = null) => new(new FalClientOptions
    {
        Credentials = new FalCredentials("fuzz-key-0e1f", "test"),
        ProxyUrl = new Uri("http://127.0.0.1:9/api/fal/proxy"),
        Handler = handler,
        MaxRetryCount = 1,
        RetryBaseDelay = TimeSpan.Zero,
        RetryMaxDelay = TimeSpan.Zero,
        RequestTimeout = TimeSpan.FromSeconds(5),
        StreamIdleTimeout = TimeSpan.FromSeconds(5),
        MaxResponseBytes = 256 * 1024,
    });

    /// <summary>Runs <paramref name="body"/>; an undocumented exception fails the test with the input that caused it.</summary>
    private static void Expect(string input, Action body)
    {
        try { body(); }
        catch (FalApiException) { }
        catch (FalStreamException) { }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.GetType().Name} for input ({input.Length} chars): {Preview(input)}\n{ex}");
        }
    }

    private static string Preview(string s) => s.Length <= 300 ? s : s.Substring(0, 300) + "…";

    [Fact]
    public void Status_bodies_parse_or_fail_as_protocol_errors()
    {
        using var client = NewClient();
        using var resp = new HttpResponseMessage(HttpStatusCode.OK);
        var fuzz = new FuzzInputs(1001);
        for (var i = 0; i < Iterations; i++)
        {
            var body = fuzz.Body();
            Expect(body, () =>
            {
                var s = client.ParseStatus(body, resp, Job);
                Assert.False(string.IsNullOrEmpty(s.Status));
                Assert.True(JobRef.IsValidRequestId(s.RequestId));
                Assert.True(s.QueuePosition is null or >= 0, $"queue position {s.QueuePosition}");
                Assert.All(s.Logs, l => Assert.NotNull(l.Message));
                // Server URLs elsewhere are never adopted.
                foreach (var u in new[] { s.StatusUrl, s.ResponseUrl, s.CancelUrl })
                    Assert.True(u == null || u.StartsWith("https://queue.fal.run/", StringComparison.OrdinalIgnoreCase), u);
            });
        }
    }

    [Theory]
    [InlineData("{\"status\":\"IN_QUEUE\",\"request_id\":\"\\udc00\\ud800\"}")]   // found by the fuzzer: GetString threw InvalidOperationException
    [InlineData("{\"status\":\"IN_QUEUE\",\"log\\ud800s\":[]}")]                       // ... and so did TryGetProperty, for a name
    public void An_escaped_lone_surrogate_is_invalid_json_not_a_crash(string body)
    {
        using var client = NewClient();
        using var resp = new HttpResponseMessage(HttpStatusCode.OK);
        var ex = Assert.Throws<FalApiException>(() => client.ParseStatus(body, resp, Job));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.IsType<System.Text.Json.JsonException>(ex.InnerException);
        Assert.Equal(FalErrorKind.Protocol, Assert.Throws<FalApiException>(() => EditResultParser.Parse(body, Job.RequestId, Job.Endpoint.Full, null)).Kind);
        Assert.Equal(FalErrorKind.Server, FalErrors.FromAnswer(new ResponseHead(500), body, null, client.Text).Kind);
        Assert.Throws<System.Text.Json.JsonException>(() => PlainJson.Parse(body));
    }

    [Fact]
    public void Error_bodies_always_become_a_bounded_FalApiException()
    {
        using var client = NewClient();
        var fuzz = new FuzzInputs(2002);
        var codes = new[] { 300, 302, 400, 401, 403, 404, 408, 409, 422, 429, 499, 500, 502, 503, 504, 599 };
        for (var i = 0; i < Iterations; i++)
        {
            var body = fuzz.Body();
            using var resp = new HttpResponseMessage((HttpStatusCode)codes[fuzz.Random.Next(codes.Length)]);
            if (fuzz.Random.Next(3) == 0) resp.Headers.TryAddWithoutValidation("x-fal-request-timeout-type", "user");
            if (fuzz.Random.Next(3) == 0) resp.Headers.TryAddWithoutValidation("x-fal-retryable", fuzz.Random.Next(2) == 0 ? "true" : "maybe");
            Expect(body, () =>
            {
                var ex = FalErrors.FromAnswer(ResponseHead.From(resp), body, Job.RequestId, client.Text);
                Assert.NotNull(ex.Message);
                Assert.True(ex.Message.Length < 64 * 1024);
                Assert.True((ex.ResponseBody ?? "").Length <= 16 * 1024 + 1);
                Assert.All(ex.ValidationErrors, v => Assert.NotNull(v.ToString()));
            });
        }
    }

    [Fact]
    public void Result_bodies_parse_or_fail_as_protocol_errors()
    {
        var fuzz = new FuzzInputs(3003);
        for (var i = 0; i < Iterations; i++)
        {
            var body = fuzz.Body();
            Expect(body, () =>
            {
                var r = EditResultParser.Parse(body, Job.RequestId, Job.Endpoint.Full, "p");
                Assert.All(r.Images, img =>
                {
                    Assert.False(string.IsNullOrEmpty(img.Url));
                    Assert.True(img.Width is null or >= 0 && img.Height is null or >= 0);
                });
                Assert.NotNull(r.AdditionalProperties);
            });
        }
    }

    [Fact]
    public void Sse_frames_in_any_chunking_give_the_same_events_or_a_FormatException()
    {
        var fuzz = new FuzzInputs(4004);
        var r = fuzz.Random;
        string[] lines = { "data: ", "data:", ": ping", "event: update", "id: 7", "retry: 10", "", "data", "da", ":" };
        for (var i = 0; i < Iterations; i++)
        {
            var sb = new StringBuilder();
            for (var n = r.Next(12); n > 0; n--)
            {
                var line = lines[r.Next(lines.Length)];
                sb.Append(line.StartsWith("data", StringComparison.Ordinal) && r.Next(2) == 0 ? line + fuzz.Body() : line);
                sb.Append(new[] { "\n", "\r\n", "\r", "\n\n" }[r.Next(4)]);
            }

            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            if (r.Next(5) == 0) bytes = bytes.Concat(Enumerable.Range(0, r.Next(64)).Select(_ => (byte)r.Next(256))).ToArray(); // raw garbage
            var whole = Feed(bytes, new[] { bytes.Length }, out var wholeError);
            var chunks = Enumerable.Range(0, 64).Select(_ => 1 + r.Next(7)).ToArray();
            var pieces = Feed(bytes, chunks, out var piecesError);
            Assert.Equal(wholeError, piecesError);
            Assert.Equal(whole.Select(e => (e.EventName, e.Data)), pieces.Select(e => (e.EventName, e.Data)));
        }
    }

    /// <summary>Feeds in chunks; small bounds so the limits are hit often. Only FormatException may escape the parser.</summary>
    private static List<SseEvent> Feed(byte[] bytes, int[] chunkSizes, out bool formatError)
    {
        var parser = new SseParser(maxLineBytes: 2048, maxEventBytes: 4096);
        var events = new List<SseEvent>();
        formatError = false;
        var offset = 0;
        try
        {
            for (var c = 0; offset < bytes.Length; c++)
            {
                var n = Math.Min(chunkSizes[c % chunkSizes.Length], bytes.Length - offset);
                parser.Feed(bytes, offset, n, events);
                offset += n;
            }
        }
        catch (FormatException)
        {
            formatError = true;
        }

        return events;
    }

    /// <summary>Answers every call with a generated status, headers and body (sometimes cut off mid-way).</summary>
    private sealed class HostileHandler : HttpMessageHandler
    {
        private readonly FuzzInputs _fuzz;
        private readonly object _gate = new();
        public string Last = "";

        public HostileHandler(FuzzInputs fuzz) => _fuzz = fuzz;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                var r = _fuzz.Random;
                var codes = new[] { 200, 200, 200, 202, 302, 400, 404, 422, 429, 500, 502, 503 };
                var resp = new HttpResponseMessage((HttpStatusCode)codes[r.Next(codes.Length)]) { RequestMessage = request };
                var stream = request.Headers.Accept.Any(a => a.MediaType == "text/event-stream");
                var body = stream && r.Next(4) != 0
                    ? string.Concat(Enumerable.Range(0, r.Next(5)).Select(_ => (r.Next(3) == 0 ? ": ping\n" : "data: " + _fuzz.Body().Replace("\n", " ") + "\n\n")))
                    : _fuzz.Body();
                Last = body;
                var bytes = Encoding.UTF8.GetBytes(body);
                HttpContent content = r.Next(6) == 0
                    ? new StreamContent(new BreakingStream(bytes, r.Next(bytes.Length + 1)))
                    : new ByteArrayContent(bytes);
                var type = new[] { "application/json", "text/event-stream", "text/html", null }[stream ? r.Next(2) * 1 + (r.Next(4) == 0 ? 2 : 0) : r.Next(4) == 0 ? 2 : 0];
                if (type != null) content.Headers.TryAddWithoutValidation("Content-Type", type);
                if (r.Next(8) == 0) content.Headers.ContentLength = Math.Max(0, bytes.Length + r.Next(-3, 50_000_000)); // lies about its length
                resp.Content = content;
                if (r.Next(3) == 0) resp.Headers.TryAddWithoutValidation("x-fal-request-id", r.Next(2) == 0 ? Job.RequestId : "../evil id");
                if (r.Next(5) == 0) resp.Headers.TryAddWithoutValidation("Retry-After", new[] { "0", "-5", "soon", "99999999999" }[r.Next(4)]);
                if (resp.StatusCode == HttpStatusCode.Found) resp.Headers.Location = new Uri("https://evil.example/steal");
                return Task.FromResult(resp);
            }
        }
    }

    /// <summary>A body that breaks (IOException) after <c>cut</c> bytes, like a connection reset.</summary>
    private sealed class BreakingStream : MemoryStream
    {
        private readonly int _cut;
        public BreakingStream(byte[] bytes, int cut) : base(bytes) => _cut = cut;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Position >= _cut) throw new IOException("connection reset (fuzz)");
            return base.Read(buffer, offset, Math.Min(count, _cut - (int)Position));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var array = new byte[buffer.Length];
            var n = Read(array, 0, array.Length);
            array.AsSpan(0, n).CopyTo(buffer.Span);
            return new ValueTask<int>(n);
        }
    }

    [Fact]
    public async Task Whole_calls_against_a_hostile_server_end_in_a_value_or_a_documented_exception()
    {
        var fuzz = new FuzzInputs(5005);
        var handler = new HostileHandler(fuzz);
        using var client = NewClient(handler);
        var endpoint = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
        const string input = "{\"prompt\":\"p\",\"image_urls\":[\"https://example.com/a.png\"]}";
        for (var i = 0; i < Iterations / 2; i++)
        {
            var op = i % 6;
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                switch (op)
                {
                    case 0:
                        var job = await client.SubmitAsync(endpoint, input, null, cts.Token);
                        Assert.True(JobRef.IsValidRequestId(job.RequestId));
                        break;
                    case 1: await client.GetStatusAsync(Job, true, cts.Token); break;
                    case 2: await client.GetResultAsync(Job, i % 4 == 2, cts.Token); break;
                    case 3: await client.CancelAsync(Job, cts.Token); break;
                    case 4: await client.StreamStatusAsync(Job, true, null, cts.Token); break;
                    default: await client.RunAsync(endpoint, input, null, null, cts.Token); break;
                }
            }
            catch (FalApiException) { }
            catch (FalStreamException) { }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"operation {op}, iteration {i}: {ex.GetType().Name} after body {Preview(handler.Last)}\n{ex}");
            }
        }
    }
}
