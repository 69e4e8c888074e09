namespace Seedream.Protocol
{
    /// <summary>
    /// Reads fal's success answers (JSON objects, job statuses) as pure functions of an answer's
    /// head and body; what cannot be understood becomes a Protocol <see cref="FalApiException"/>.
    /// </summary>
    internal static class FalAnswers
    {
        /// <summary>The body as a JSON object; anything else is a protocol error.</summary>
        public static JsonDocument ParseObject(string body, ResponseHead head, string? requestId, ServerText text)
        {
            try
            {
                var doc = PlainJson.ParseDocument(body);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    doc.Dispose();
                    throw FalErrors.Protocol("The response is JSON but not an object.", head, body, requestId, text);
                }
                return doc;
            }
            catch (JsonException ex)
            {
                throw FalErrors.Protocol("The response is not valid JSON: " + ex.Message, head, body, requestId, text, ex);
            }
        }

        /// <summary>
        /// A job status (a status answer or one event of the status stream). Of the URLs it names,
        /// only those on <paramref name="queueUrl"/> (the queue the key is meant for) or on fal's queue are kept.
        /// </summary>
        public static JobStatus ParseStatus(string json, ResponseHead head, JobRef job, ServerText text, Uri queueUrl)
        {
            using var doc = ParseObject(json, head, job.RequestId, text);
            var root = doc.RootElement;
            var status = PlainJson.GetString(root, "status");
            if (string.IsNullOrEmpty(status))
                throw FalErrors.Protocol("The status response carries no status.", head, json, job.RequestId, text);
            var s = new JobStatus
            {
                RequestId = text.UsableRequestId(PlainJson.GetString(root, "request_id")) ?? job.RequestId,
                Endpoint = job.Endpoint.Full,
                Status = status!,
                QueuePosition = QueuePosition(PlainJson.GetInt64(root, "queue_position")),
                StatusUrl = TrustedQueueUrl(PlainJson.GetString(root, "status_url"), queueUrl) ?? job.StatusUrl,
                ResponseUrl = TrustedQueueUrl(PlainJson.GetString(root, "response_url"), queueUrl) ?? job.ResponseUrl,
                CancelUrl = TrustedQueueUrl(PlainJson.GetString(root, "cancel_url"), queueUrl) ?? job.CancelUrl,
                ErrorType = PlainJson.GetString(root, "error_type"),
                RetrievedAt = DateTime.Now,
            };
            // Server text that reaches output and the Verbose stream is scrubbed like error messages.
            if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
                s.Error = text.Redact(err.ValueKind == JsonValueKind.String ? err.GetString() : err.GetRawText());
            if (root.TryGetProperty("metrics", out var metrics))
                s.InferenceTime = PlainJson.GetDouble(metrics, "inference_time");
            if (root.TryGetProperty("logs", out var logs) && logs.ValueKind == JsonValueKind.Array)
                s.Logs = Logs(logs, text);
            return s;
        }

        private static LogEntry[] Logs(JsonElement logs, ServerText text)
        {
            var list = new List<LogEntry>();
            foreach (var l in logs.EnumerateArray())
            {
                if (l.ValueKind != JsonValueKind.Object) continue;
                var entry = new LogEntry
                {
                    Message = text.Redact(PlainJson.GetString(l, "message")),
                    Level = PlainJson.GetString(l, "level"),
                    Source = PlainJson.GetString(l, "source"),
                };
                if (DateTimeOffset.TryParse(PlainJson.GetString(l, "timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
                    entry.Timestamp = ts.LocalDateTime;
                list.Add(entry);
            }
            return list.ToArray();
        }

        /// <summary>A queue position as an int; a negative or huge one (which a cast would wrap) is no position.</summary>
        public static int? QueuePosition(long? value) => value.HasValue && value.Value >= 0 && value.Value <= int.MaxValue ? (int)value.Value : (int?)null;

        /// <summary>
        /// A URL returned by the server is used only when it points at the queue host the key is
        /// meant for (or fal's own queue over https); anything else is ignored.
        /// </summary>
        public static string? TrustedQueueUrl(string? url, Uri queueUrl)
        {
            if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var u)) return null;
            if (u.Scheme != Uri.UriSchemeHttps && u.Scheme != Uri.UriSchemeHttp) return null;
            var sameAsQueue = string.Equals(u.Host, queueUrl.Host, StringComparison.OrdinalIgnoreCase) && u.Port == queueUrl.Port && u.Scheme == queueUrl.Scheme;
            var falHost = u.Scheme == Uri.UriSchemeHttps && (u.Host.Equals("queue.fal.run", StringComparison.OrdinalIgnoreCase) || u.Host.Equals("queue.falrun.com", StringComparison.OrdinalIgnoreCase));
            return sameAsQueue || falHost ? u.AbsoluteUri : null;
        }
    }
}
