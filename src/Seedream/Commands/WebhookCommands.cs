using System.Collections.Specialized;
using System.Globalization;
using System.Net;
using System.Text;
using Seedream.Webhooks;

namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Checks that a webhook request really comes from fal: ED25519 signature, key from fal's JWKS, fresh timestamp.</para>
    /// <para type="description">fal signs every webhook it sends (Submit-SeedreamJob -WebhookUrl) with ED25519 over
    /// the request id, user id and timestamp headers and the SHA-256 of the raw body. This cmdlet repeats that
    /// check and returns a Seedream.WebhookVerdict: IsValid, and a Reason when it is not (MissingHeader,
    /// MalformedTimestamp, StaleTimestamp, MalformedSignature, JwksUnavailable, NoKeys, BadSignature). Pass the
    /// body exactly as received — the raw string or bytes, never JSON that was parsed and serialised again,
    /// because the signature covers the original bytes. fal's public keys are fetched from -JwksUrl without the
    /// API key and cached in the session for up to 24 hours (less if the server's Cache-Control says so); a
    /// signature no cached key accepts triggers one re-fetch, at most once a minute, in case fal rotated its keys.
    /// Only act on the payload when IsValid is true.</para>
    /// </summary>
    /// <example>
    /// <para>An HTTP-triggered Azure Function (PowerShell) that receives fal's webhook:</para>
    /// <code>
    /// using namespace System.Net
    /// param($Request, $TriggerMetadata)
    ///
    /// # RawBody, not Body: Body is already parsed JSON and would not hash to what fal signed.
    /// $verdict = Test-SeedreamWebhookSignature -Headers $Request.Headers -Body $Request.RawBody
    /// if (-not $verdict.IsValid) {
    ///     Write-Warning "Rejected webhook: $($verdict.Reason) - $($verdict.Message)"
    ///     Push-OutputBinding -Name Response -Value ([HttpResponseContext]@{ StatusCode = [HttpStatusCode]::Unauthorized })
    ///     return
    /// }
    /// $event = $Request.RawBody | ConvertFrom-Json
    /// if ($event.status -eq 'OK') {
    ///     foreach ($image in $event.payload.images) { Write-Host "Request $($verdict.RequestId): $($image.url)" }
    /// } else {
    ///     Write-Warning "Request $($verdict.RequestId) failed: $($event.error)"
    /// }
    /// Push-OutputBinding -Name Response -Value ([HttpResponseContext]@{ StatusCode = [HttpStatusCode]::OK })
    /// </code>
    /// </example>
    /// <example>
    /// <para>An Azure Automation runbook started by a webhook (headers arrive as an object, the body as a string):</para>
    /// <code>
    /// param([object] $WebhookData)
    /// $verdict = Test-SeedreamWebhookSignature -Headers $WebhookData.RequestHeader -Body $WebhookData.RequestBody
    /// if (-not $verdict.IsValid) { throw "Not from fal: $verdict" }
    /// </code>
    /// </example>
    /// <example>
    /// <para>Against the local emulator, which signs with its own key pair:</para>
    /// <code>
    /// Test-SeedreamWebhookSignature -Headers $headers -Body $bytes -JwksUrl 'http://127.0.0.1:5000/.well-known/jwks.json'
    /// </code>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "SeedreamWebhookSignature")]
    [OutputType(typeof(WebhookVerdict))]
    public sealed class TestSeedreamWebhookSignatureCommand : WebhookCmdletBase
    {

        /// <summary>
        /// The request headers: a hashtable or dictionary, an HTTP header collection (HttpRequestHeaders,
        /// IHeaderDictionary, NameValueCollection / WebHeaderCollection), or an object whose properties are the
        /// headers. Names are matched case-insensitively.
        /// </summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("Header")]
        [AllowNull]
        public object? Headers { get; set; }

        /// <summary>The raw request body: a string (hashed as UTF-8), a byte array, or a stream.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [AllowNull]
        [AllowEmptyString]
        public object? Body { get; set; }

        protected override object? HeadersInput => Headers;
        protected override object? BodyInput => Body;

        protected override void ProcessRecord()
        {
            var verdict = VerifyDelivery(out _);
            if (verdict == null) return;
            if (verdict.Reason == nameof(WebhookVerdictReason.JwksUnavailable))
                WriteWarning("The webhook could not be verified because the signing keys are unavailable: " + verdict.Message);
            WriteObject(verdict);
        }
    }

    /// <summary>
    /// What Test-SeedreamWebhookSignature and Receive-SeedreamWebhook share: the -JwksUrl, -Now and
    /// -ToleranceSec parameters, reading headers and raw body in every shape hosts hand them over, and
    /// the verification itself, so both cmdlets judge a delivery identically.
    /// </summary>
    public abstract class WebhookCmdletBase : SeedreamCmdlet
    {
        private const int MaxToleranceSec = 86400;

        /// <summary>Where the public keys are published. Default: fal's https://rest.alpha.fal.ai/.well-known/jwks.json.</summary>
        [Parameter]
        public Uri JwksUrl { get; set; } = WebhookVerifier.FalJwksUrl;

        /// <summary>The time to check the timestamp against (default: now). For tests and replaying logged requests.</summary>
        [Parameter]
        public DateTimeOffset? Now { get; set; }

        /// <summary>Largest accepted difference between the webhook's timestamp and now, in seconds (fal: 300).</summary>
        [Parameter]
        public int ToleranceSec { get; set; } = (int)WebhookVerifier.DefaultTolerance.TotalSeconds;

        /// <summary>The -Headers value of this record (each cmdlet declares its own binding).</summary>
        protected abstract object? HeadersInput { get; }

        /// <summary>The raw body of this record.</summary>
        protected abstract object? BodyInput { get; }

        /// <summary>
        /// Reads the arguments and verifies the delivery. Null after writing an error for unusable
        /// arguments or a failed check; otherwise the verdict (valid or not) and the body bytes.
        /// </summary>
        protected WebhookVerdict? VerifyDelivery(out byte[] body)
        {
            var ok = TryReadHeaders(out var headers);
            ok &= TryReadBody(out body);
            ok &= CheckJwksUrl();
            if (ToleranceSec < 0 || ToleranceSec > MaxToleranceSec)
            {
                WriteError(Errors.WebhookToleranceInvalid.Record($"-ToleranceSec must be between 0 and {MaxToleranceSec} seconds (fal uses 300).", ToleranceSec));
                ok = false;
            }
            if (!ok) return null;

            var now = Now ?? DateTimeOffset.UtcNow;
            var bytes = body;
            WebhookVerdict verdict;
            try
            {
                verdict = RunAsync(ct => new WebhookVerifier().VerifyAsync(headers, bytes, JwksUrl, now, TimeSpan.FromSeconds(ToleranceSec), ct));
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (Exception ex)
            {
                WriteFailure(ex, JwksUrl);
                return null;
            }
            WriteVerbose($"Webhook {verdict.RequestId ?? "(no request id)"}: {verdict.Reason}. {verdict.Message}");
            return verdict;
        }

        private bool TryReadHeaders(out List<KeyValuePair<string, string>> headers)
        {
            headers = new List<KeyValuePair<string, string>>();
            var value = Unwrap(HeadersInput);
            if (value == null)
            {
                WriteError(Errors.WebhookHeadersMissing.Record("-Headers is null: pass the request's headers (for example $Request.Headers).", null));
                return false;
            }

            switch (value)
            {
                case string _:
                    break; // a single string is not a header collection
                case NameValueCollection nvc:
                    foreach (string? name in nvc)
                        if (name != null) headers.Add(Pair(name, nvc.GetValues(name)));
                    return true;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                        headers.Add(Pair(Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? string.Empty, entry.Value));
                    return true;
                case PSCustomObject _:
                    foreach (var property in PSObject.AsPSObject(HeadersInput!).Properties)
                        if (property.IsGettable) headers.Add(Pair(property.Name, property.Value));
                    return true;
                case IEnumerable items:
                    var complete = true;
                    foreach (var item in items)
                    {
                        if (!TryEntry(Unwrap(item), out var name, out var itemValue))
                        {
                            complete = false;
                            break;
                        }
                        headers.Add(Pair(name, itemValue));
                    }
                    if (complete) return true;
                    headers.Clear();
                    break;
            }

            WriteError(Errors.WebhookHeadersInvalid.Record($"-Headers must be a hashtable, a dictionary, an HTTP header collection or an object with one property per header; got {value.GetType().FullName}.", HeadersInput));
            return false;
        }

        /// <summary>A name/value item of an enumerated collection: DictionaryEntry or KeyValuePair&lt;,&gt;.</summary>
        private static bool TryEntry(object? item, out string name, out object? value)
        {
            name = string.Empty;
            value = null;
            if (item is DictionaryEntry entry)
            {
                name = Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? string.Empty;
                value = entry.Value;
                return true;
            }
            var type = item?.GetType();
            if (type == null || !type.IsGenericType || type.GetGenericTypeDefinition() != typeof(KeyValuePair<,>)) return false;
            name = Convert.ToString(type.GetProperty("Key")!.GetValue(item), CultureInfo.InvariantCulture) ?? string.Empty;
            value = type.GetProperty("Value")!.GetValue(item);
            return true;
        }

        /// <summary>Several values of one header (string[], StringValues, IEnumerable&lt;string&gt;) are joined as HTTP joins them.</summary>
        private static KeyValuePair<string, string> Pair(string name, object? value)
        {
            value = Unwrap(value);
            string text;
            if (value == null) text = string.Empty;
            else if (value is string s) text = s;
            else if (value is IEnumerable many)
            {
                var parts = new List<string>();
                foreach (var part in many) parts.Add(Convert.ToString(Unwrap(part), CultureInfo.InvariantCulture) ?? string.Empty);
                text = string.Join(", ", parts);
            }
            else text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            return new KeyValuePair<string, string>(name, text);
        }

        private bool TryReadBody(out byte[] body)
        {
            body = Array.Empty<byte>();
            var value = Unwrap(BodyInput);
            switch (value)
            {
                case null:
                    WriteError(Errors.WebhookBodyMissing.Record("-Body is null: pass the raw request body (a string or byte array); use '' for an empty body.", null));
                    return false;
                case string text:
                    body = Encoding.UTF8.GetBytes(text);
                    return true;
                case byte[] bytes:
                    body = bytes;
                    return true;
                case Stream stream:
                    try
                    {
                        using (var copy = new MemoryStream())
                        {
                            stream.CopyTo(copy);
                            body = copy.ToArray();
                        }
                        return true;
                    }
                    catch (Exception ex) when (ex is IOException || ex is NotSupportedException || ex is ObjectDisposedException)
                    {
                        WriteError(Errors.WebhookBodyUnreadable.Record("Could not read the body stream: " + ex.Message, null, ex));
                        return false;
                    }
                case object[] items when TryBytes(items, out var fromArray):
                    body = fromArray; // @(bytes) or Get-Content -AsByteStream output that PowerShell made an object[]
                    return true;
                case IDictionary _:
                case PSCustomObject _:
                    WriteError(Errors.WebhookBodyNotRaw.Record("-Body is parsed JSON, but the signature covers the exact bytes fal sent: pass the raw body as a string or byte array " +
                        "(in Azure Functions $Request.RawBody, in Automation runbooks $WebhookData.RequestBody).", null));
                    return false;
                default:
                    WriteError(Errors.WebhookBodyNotRaw.Record($"-Body must be the raw request body as a string, a byte array or a stream; got {value.GetType().FullName}.", null));
                    return false;
            }
        }

        private static bool TryBytes(object[] items, out byte[] bytes)
        {
            bytes = new byte[items.Length];
            for (var i = 0; i < items.Length; i++)
            {
                if (!(Unwrap(items[i]) is byte b)) return false;
                bytes[i] = b;
            }
            return true;
        }

        /// <summary>Absolute http(s); plain http only to loopback, since whoever can rewrite the JWKS can forge webhooks.</summary>
        private bool CheckJwksUrl()
        {
            var url = JwksUrl;
            if (url == null || !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                WriteError(Errors.WebhookJwksUrlInvalid.Record($"-JwksUrl '{url}' is not an absolute http or https URL.", url));
                return false;
            }
            if (url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
            {
                WriteError(Errors.WebhookJwksUrlInsecure.Record($"-JwksUrl '{url}' is plain http on a host other than loopback: anyone on the way could swap the keys and forge webhooks. Use https.", url));
                return false;
            }
            return true;
        }

        private static bool IsLoopback(Uri url) =>
            url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

        private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;
    }

    /// <summary>
    /// <para type="synopsis">Turns a fal webhook delivery into the Seedream.EditResult it carries, after checking its signature.</para>
    /// <para type="description">Verifies the delivery exactly as Test-SeedreamWebhookSignature does, then reads fal's
    /// body and emits the result, ready for Save-SeedreamImage. Forged, stale or unverifiable deliveries,
    /// failed requests and unreadable payloads are non-terminating errors with their own ErrorIds.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "SeedreamWebhook")]
    [OutputType(typeof(EditResult))]
    public sealed class ReceiveSeedreamWebhookCommand : WebhookCmdletBase
    {
        /// <summary>The request headers, in any shape Test-SeedreamWebhookSignature takes.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Header", "RequestHeader")]
        [AllowNull]
        public object? Headers { get; set; }

        /// <summary>The raw body. Not mandatory, because a piped Azure Functions request carries it as RawBody.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("RequestBody")]
        [AllowNull]
        [AllowEmptyString]
        public object? Body { get; set; }

        /// <summary>
        /// Azure Functions' unparsed body. A parameter of its own rather than an alias of Body: pipeline
        /// binding prefers a property named Body, and Functions' Body is already parsed JSON.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [AllowEmptyString]
        public object? RawBody { get; set; }

        /// <summary>The endpoint the job ran on; the delivery does not say, so results name this one.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(EndpointCompleter))]
        public string? Endpoint { get; set; } = EndpointId.SeedreamV5LiteEdit;

        protected override object? HeadersInput => Headers;
        protected override object? BodyInput => RawBody ?? Body;

        protected override void ProcessRecord()
        {
            var endpointText = string.IsNullOrWhiteSpace(Endpoint) ? EndpointId.SeedreamV5LiteEdit : Endpoint!.Trim();
            if (!EndpointId.TryParse(endpointText, out var endpoint, out var endpointError))
            {
                WriteError(Errors.InvalidEndpoint.Record(endpointError!, endpointText));
                return;
            }

            var verdict = VerifyDelivery(out var body);
            if (verdict == null) return;
            if (!verdict.IsValid)
            {
                WriteError(Refusal(verdict));
                return;
            }

            // The header's request id is covered by the signature, so it names the job.
            var requestId = verdict.RequestId!;
            WebhookEvent delivery;
            try
            {
                delivery = WebhookEvent.Parse(body);
            }
            catch (FormatException ex)
            {
                WriteError(PayloadInvalid(requestId, $"The signed webhook delivery for request {requestId} cannot be read: {ex.Message}", ex));
                return;
            }

            if (string.Equals(delivery.Status, WebhookEvent.StatusError, StringComparison.Ordinal))
            {
                // The same error as Receive-SeedreamJob gives for a failed job, with fal's error body as details.
                WriteFailure(new FalApiException(FalErrorKind.JobFailed, $"Request {requestId} failed: {delivery.Error ?? "fal gave no error text"}")
                {
                    RequestId = requestId,
                    Detail = delivery.Error,
                    ResponseBody = Shorten(delivery.PayloadJson),
                }, requestId);
                return;
            }
            if (!string.Equals(delivery.Status, WebhookEvent.StatusOk, StringComparison.Ordinal))
            {
                WriteError(PayloadInvalid(requestId, $"The signed webhook delivery for request {requestId} has status '{delivery.Status}', neither OK nor ERROR."));
                return;
            }
            if (delivery.PayloadError != null || delivery.PayloadJson == null)
            {
                WriteError(PayloadInvalid(requestId,
                    $"The webhook delivery for request {requestId} is genuine but carries no result: {delivery.PayloadError ?? "the payload is missing"}"));
                return;
            }

            EditResult result;
            try
            {
                result = EditResultParser.Parse(delivery.PayloadJson, requestId, endpoint!.Full, null);
            }
            catch (FalApiException ex)
            {
                WriteError(PayloadInvalid(requestId, ex.Message, ex));
                return;
            }
            WriteObject(result);
        }

        /// <summary>
        /// A delivery that failed the check. Stale and unverifiable ones get ids of their own: a stale one
        /// may be a replay or a wrong clock, an unverifiable one is an outage worth retrying, not an attack.
        /// The verdict is the target, so a handler can log everything that was found.
        /// </summary>
        private static ErrorRecord Refusal(WebhookVerdict verdict)
        {
            var subject = verdict.RequestId == null ? "The webhook delivery" : $"The webhook delivery for request {verdict.RequestId}";
            switch (verdict.Reason)
            {
                case nameof(WebhookVerdictReason.StaleTimestamp):
                    return Errors.WebhookStale.Record($"{subject} was refused as {verdict.Reason}: {verdict.Message}", verdict);
                case nameof(WebhookVerdictReason.JwksUnavailable):
                case nameof(WebhookVerdictReason.NoKeys):
                    return Errors.WebhookJwksUnavailable.Record($"{subject} could not be verified ({verdict.Reason}): {verdict.Message} Nothing was trusted; fal retries deliveries that are not answered with 2xx.", verdict);
                default:
                    return Errors.WebhookRejected.Record($"{subject} was refused as {verdict.Reason}: {verdict.Message}", verdict);
            }
        }

        /// <summary>Error details stay readable even for a large error body.</summary>
        private static string? Shorten(string? text) => text == null || text.Length <= 4096 ? text : text.Substring(0, 4096) + "…";

        private static ErrorRecord PayloadInvalid(string requestId, string message, Exception? inner = null)
        {
            var record = Errors.WebhookPayloadInvalid.Record(message, requestId, inner);
            record.ErrorDetails = new ErrorDetails(message)
            {
                RecommendedAction = $"Fetch the result from the queue instead: Receive-SeedreamJob -RequestId {requestId}",
            };
            return record;
        }
    }
}
