namespace Seedream.Protocol.Transport
{
    /// <summary>
    /// The top of the chain: runs a call's attempts through the stages below, reads accepted
    /// answers with the call's reader, classifies everything else with <see cref="RetryPolicy"/>
    /// (<see cref="AttemptFailure"/>) and waits between attempts.
    /// </summary>
    internal sealed class RetryStage
    {
        /// <summary>Error bodies are read for their message, up to this many bytes.</summary>
        private const long ErrorBodyLimit = 1024 * 1024;

        private readonly FalClientOptions _options;
        private readonly RedactingLog _log;
        private readonly ServerText _text;
        private readonly SendStage _next;
        private readonly Func<HttpResponseMessage, CancellationToken, long, Task<string>> _readBody;

        public RetryStage(FalClientOptions options, RedactingLog log, ServerText text, SendStage next, Func<HttpResponseMessage, CancellationToken, long, Task<string>> readBody)
        {
            _options = options;
            _log = log;
            _text = text;
            _next = next;
            _readBody = readBody;
        }

        public async Task<T> SendAsync<T>(FalCall<T> call, CancellationToken ct)
        {
            for (var attempt = 0; ; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                var (done, value, failure) = await AttemptAsync(call, ct).ConfigureAwait(false);
                if (done) return value!;
                failure!.Error.Attempts = attempt + 1;
                if (!failure.Retry || attempt >= _options.MaxRetryCount) throw failure.Final(call.Operation);
                var delay = RetryPolicy.Delay(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay, failure.RetryAfter);
                _log.Verbose($"Retrying in {delay.TotalSeconds:0.##} s (retry {attempt + 1} of {_options.MaxRetryCount}): {failure.Error.Message}");
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }

        private async Task<(bool Done, T? Value, AttemptFailure? Failure)> AttemptAsync<T>(FalCall<T> call, CancellationToken ct)
        {
            var op = call.Operation;
            using var req = call.Request();
            using var attempt = new Attempt(call, _log.Describe(req), ct);
            var what = attempt.What;
            HttpResponseMessage resp;
            try
            {
                resp = await _next.SendAsync(req, attempt).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return Failed<T>(AttemptFailure.NoAnswer(op, $"{what} timed out after {Timeout}.", null, call.RequestId, beforeSend: false));
            }
            catch (HttpRequestException ex)
            {
                return Failed<T>(AttemptFailure.NoAnswer(op, $"{what} failed: {InnermostMessage(ex)}", ex, call.RequestId, RetryPolicy.IsBeforeSend(ex)));
            }
            catch (IOException ex)
            {
                return Failed<T>(AttemptFailure.NoAnswer(op, $"{what} failed: {ex.Message}", ex, call.RequestId, beforeSend: false));
            }

            using (resp)
            {
                var code = (int)resp.StatusCode;
                if (call.Accepts(code))
                {
                    // A stream's reader reports its own breaks and idle limit (FalStreamException).
                    var owned = !call.Streaming;
                    try
                    {
                        return (true, await call.Read(resp, attempt.Token).ConfigureAwait(false), null);
                    }
                    catch (OperationCanceledException) when (owned && !ct.IsCancellationRequested)
                    {
                        return Failed<T>(AttemptFailure.BrokenAnswer(op, code, $"{what}: reading the response timed out after {Timeout}.", null, call.RequestId ?? ResponseRequestId(resp)));
                    }
                    catch (Exception ex) when ((ex is IOException || ex is HttpRequestException) && owned && !ct.IsCancellationRequested)
                    {
                        return Failed<T>(AttemptFailure.BrokenAnswer(op, code, $"{what}: the response broke off: {InnermostMessage(ex)}", ex, call.RequestId ?? ResponseRequestId(resp)));
                    }
                    catch (FalApiException ex) when (ex.Kind == FalErrorKind.Protocol && ex.InnerException is JsonException && !ct.IsCancellationRequested && RetryPolicy.ShouldRetryGarbledAnswer(op))
                    {
                        ex.RequestId ??= call.RequestId;
                        return Failed<T>(AttemptFailure.GarbledAnswer(code, ex));
                    }
                    catch (FalApiException ex) when (ex.RequestId == null && call.RequestId != null)
                    {
                        // An unusable answer about a known request names it, like every other failure.
                        ex.RequestId = call.RequestId;
                        throw;
                    }
                    catch (FalApiException ex) when (ex.Kind == FalErrorKind.Protocol && !ct.IsCancellationRequested
                        && RetryPolicy.MayHaveCreatedWork(op, code, ErrorOrigin.Unknown, beforeSend: false))
                    {
                        // Accepted, so the work exists, but the answer cannot say which: say so.
                        throw FalErrors.WithWorkNote(ex, op);
                    }
                }

                string body;
                try { body = await _readBody(resp, attempt.Token, Math.Min(_options.MaxResponseBytes, ErrorBodyLimit)).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException || ex is HttpRequestException || ex is FalApiException || (ex is OperationCanceledException && !ct.IsCancellationRequested)) { body = string.Empty; }
                var failure = AttemptFailure.FromAnswer(op, ResponseHead.From(resp), body, call.RequestId, _text, DateTimeOffset.UtcNow);
                if (failure.AdoptsJob && call.Adopt != null && call.Adopt(failure.Error, out var adopted))
                    return (true, adopted, null);
                if (failure.Origin == ErrorOrigin.Ingress)
                    _log.Verbose($"{what}: the answer is the ingress proxy's own page (no request id): the request never reached fal.");
                return Failed<T>(failure);
            }
        }

        private static (bool, T?, AttemptFailure?) Failed<T>(AttemptFailure failure) => (false, default, failure);

        private string Timeout => $"{_options.RequestTimeout.TotalSeconds:0.#} s";

        private string? ResponseRequestId(HttpResponseMessage resp) => _text.UsableRequestId(ResponseHead.From(resp).Header("x-fal-request-id"));

        internal static string InnermostMessage(Exception ex)
        {
            var e = ex;
            while (e.InnerException != null) e = e.InnerException;
            return e == ex ? ex.Message : ex.Message + " (" + e.Message + ")";
        }
    }
}
