using System.Diagnostics;

namespace Seedream.Protocol.Transport
{
    /// <summary>A stage below the retry loop: sends one attempt's request and returns its answer's head.</summary>
    internal abstract class SendStage
    {
        public abstract Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Attempt attempt);
    }

    /// <summary>
    /// Bounds each attempt by <see cref="FalClientOptions.RequestTimeout"/>: the whole exchange for
    /// API calls, the headers only for a stream, and the time between two chunks for a transfer
    /// (its bodies pass through <see cref="DeadlineContent"/>).
    /// </summary>
    internal sealed class TimeoutStage(FalClientOptions options, SendStage next) : SendStage
    {
        public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Attempt attempt)
        {
            attempt.Arm(options.RequestTimeout);
            var transfer = attempt.Call.Transfer;
            if (transfer && request.Content != null) request.Content = new DeadlineContent(request.Content, attempt);
            var resp = await next.SendAsync(request, attempt).ConfigureAwait(false);
            if (transfer) resp.Content = new DeadlineContent(resp.Content, attempt);
            if (attempt.Call.Streaming && attempt.Call.Accepts((int)resp.StatusCode)) attempt.Disarm();
            return resp;
        }
    }

    /// <summary>Logs each attempt's outcome on the Verbose stream, scrubbed of the key.</summary>
    internal sealed class LoggingStage(RedactingLog log, SendStage next) : SendStage
    {
        public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Attempt attempt)
        {
            var sw = Stopwatch.StartNew();
            HttpResponseMessage resp;
            try
            {
                resp = await next.SendAsync(request, attempt).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is System.IO.IOException || (ex is OperationCanceledException && !attempt.Caller.IsCancellationRequested))
            {
                log.Verbose($"{attempt.What} -> no response ({sw.ElapsedMilliseconds} ms)");
                throw;
            }
            log.Verbose($"{attempt.What} -> {(int)resp.StatusCode} {resp.ReasonPhrase} ({sw.ElapsedMilliseconds} ms)");
            return resp;
        }
    }

    /// <summary>The wire: one pooled HttpClient, answers handed on as soon as their headers arrive.</summary>
    internal sealed class HttpStage(HttpClient http) : SendStage
    {
        public override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Attempt attempt) =>
            http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
    }

    /// <summary>The client's Verbose log: every line scrubbed of the key before it leaves.</summary>
    internal sealed class RedactingLog(FalClientOptions options)
    {
        public void Verbose(string message) => options.Log?.Verbose(options.Credentials?.Redact(message) ?? message);

        /// <summary>A request as logs and errors name it: the real target, its query string left out (it may carry webhook tokens).</summary>
        public string Describe(HttpRequestMessage req)
        {
            var target = req.Headers.TryGetValues("x-fal-target-url", out var t) ? t.First() : req.RequestUri!.AbsoluteUri;
            var q = target.IndexOf('?');
            if (q >= 0) target = target.Substring(0, q) + "?…";
            return options.ProxyUrl != null && req.Headers.Contains("x-fal-target-url")
                ? $"{req.Method} {target} (via proxy)"
                : $"{req.Method} {target}";
        }
    }
}
