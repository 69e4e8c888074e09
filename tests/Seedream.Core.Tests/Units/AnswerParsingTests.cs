using System.Net;
using System.Net.Http;
using Seedream.Protocol.Transport;

namespace Seedream.Core.Tests.Units;

/// <summary>
/// The pure halves of the transport: error building, status parsing and failure classification
/// as functions of an answer's status, headers and body, without a server.
/// </summary>
public class AnswerParsingTests
{
    private const string Key = "unit-key-7a3b9c";
    private const string Id = "2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d";
    private const string OtherId = "9a8b7c6d-1e2f-4a3b-8c4d-0e1f2a3b4c5d";
    private static readonly ServerText Text = new(new FalCredentials(Key, "test"));
    private static readonly Uri Queue = new("https://queue.fal.run/");
    private static readonly JobRef Job = new(EndpointId.Parse(EndpointId.SeedreamV5LiteEdit), Id);

    [Theory]
    [InlineData(422, null, null, FalErrorKind.Validation)]
    [InlineData(401, null, null, FalErrorKind.Unauthorized)]
    [InlineData(403, null, null, FalErrorKind.Forbidden)]
    [InlineData(404, null, null, FalErrorKind.NotFound)]
    [InlineData(429, null, null, FalErrorKind.RateLimited)]
    [InlineData(504, "user", null, FalErrorKind.StartTimeout)]
    [InlineData(504, null, null, FalErrorKind.Server)]
    [InlineData(499, null, null, FalErrorKind.JobCancelled)]
    [InlineData(500, null, "client_cancelled", FalErrorKind.JobCancelled)]
    [InlineData(500, null, null, FalErrorKind.Server)]
    [InlineData(302, null, null, FalErrorKind.Protocol)]
    [InlineData(400, null, null, FalErrorKind.BadRequest)]
    [InlineData(409, null, null, FalErrorKind.BadRequest)]
    public void The_kind_follows_status_error_type_and_timeout_type(int code, string? timeoutType, string? errorType, FalErrorKind kind)
    {
        var head = new ResponseHead(code, "Reason", timeoutType == null ? Array.Empty<(string, string)>() : new[] { ("X-Fal-Request-Timeout-Type", timeoutType) });
        var body = errorType == null ? "{\"detail\":\"d\"}" : "{\"detail\":\"d\",\"error_type\":\"" + errorType + "\"}";
        var ex = FalErrors.FromAnswer(head, body, null, Text);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal((HttpStatusCode)code, ex.StatusCode);
        Assert.Equal(timeoutType, ex.TimeoutType);
    }

    [Fact]
    public void A_validation_list_becomes_fields_and_a_readable_message()
    {
        var body = "{\"detail\":[{\"loc\":[\"body\",\"image_urls\",0],\"msg\":\"bad url\",\"type\":\"value_error\",\"ctx\":{\"limit\":10}},\"not an object\"]}";
        var ex = FalErrors.FromAnswer(new ResponseHead(400), body, Id, Text);
        Assert.Equal(FalErrorKind.Validation, ex.Kind); // a 4xx with a detail list is a validation error
        var v = Assert.Single(ex.ValidationErrors);
        Assert.Equal("image_urls.0", v.Field);
        Assert.Equal(10L, Convert.ToInt64(v.Context!["limit"]));
        Assert.Equal($"fal rejected the input (HTTP 400) for request {Id}: image_urls.0: bad url (value_error)", ex.Message);
    }

    [Fact]
    public void The_request_id_comes_from_the_header_else_from_the_call_and_never_is_the_key()
    {
        Assert.Equal(OtherId, FalErrors.FromAnswer(new ResponseHead(500, null, ("x-fal-request-id", OtherId)), "", Id, Text).RequestId);
        Assert.Equal(Id, FalErrors.FromAnswer(new ResponseHead(500), "", Id, Text).RequestId);
        // A hostile server echoing the key as the id: not used.
        Assert.Equal(Id, FalErrors.FromAnswer(new ResponseHead(500, null, ("x-fal-request-id", Key)), "", Id, Text).RequestId);
        Assert.Null(FalErrors.FromAnswer(new ResponseHead(500, null, ("x-fal-request-id", "not an id")), "", null, Text).RequestId);
    }

    [Fact]
    public void Every_piece_of_server_text_is_scrubbed_of_the_key()
    {
        var body = "{\"detail\":[{\"loc\":[\"body\",\"" + Key + "\"],\"msg\":\"bad " + Key + "\",\"type\":\"" + Key + "\"}],\"error_type\":\"" + Key + "\"}";
        var ex = FalErrors.FromAnswer(new ResponseHead(422, null, ("x-fal-error-type", Key)), body, null, Text);
        var texts = new[] { ex.Message, ex.ErrorType, ex.Detail, ex.ResponseBody }
            .Concat(ex.ValidationErrors.SelectMany(v => v.Location.Concat(new[] { v.Message, v.Type, v.ToString() })));
        Assert.All(texts, t => Assert.DoesNotContain(Key, t ?? ""));

        var detail = FalErrors.FromAnswer(new ResponseHead(500), "{\"detail\":\"saw " + Key + "\"}", null, Text);
        Assert.Equal("saw ***", detail.Detail);
        Assert.DoesNotContain(Key, detail.Message);
    }

    [Fact]
    public void A_cancellation_says_so_once_and_keeps_the_http_details_on_the_exception()
    {
        var ex = FalErrors.FromAnswer(new ResponseHead(499, null, ("x-fal-error-type", "client_cancelled")), "{\"detail\":\"Request was cancelled\",\"error_type\":\"client_cancelled\"}", Id, Text);
        Assert.Equal(FalErrorKind.JobCancelled, ex.Kind);
        Assert.Equal($"Request {Id} was cancelled.", ex.Message);
        Assert.Equal(499, (int)ex.StatusCode!);
        Assert.Equal("client_cancelled", ex.ErrorType);
        Assert.Equal("Request was cancelled", ex.Detail);
    }

    [Fact]
    public void The_message_falls_back_to_the_reason_or_a_bounded_body_and_retryable_is_read()
    {
        Assert.Equal("fal answered with an error (HTTP 502): Bad Gateway", FalErrors.FromAnswer(new ResponseHead(502, "Bad Gateway"), "", null, Text).Message);
        var page = "<html>" + new string('x', 1000) + "</html>";
        var ex = FalErrors.FromAnswer(new ResponseHead(503, null, ("x-fal-retryable", "TRUE")), page, null, Text);
        Assert.EndsWith(page.Substring(0, 300) + "…", ex.Message);
        Assert.True(ex.Retryable);
        Assert.False(FalErrors.FromAnswer(new ResponseHead(503, null, ("x-fal-retryable", "no")), "", null, Text).Retryable);
        Assert.Null(FalErrors.FromAnswer(new ResponseHead(503), "", null, Text).Retryable);
        Assert.Equal(16 * 1024 + 1, FalErrors.FromAnswer(new ResponseHead(500), new string('b', 20_000), null, Text).ResponseBody!.Length);
    }

    [Fact]
    public void The_work_note_keeps_every_field_and_names_what_may_exist()
    {
        var ex = FalErrors.FromAnswer(new ResponseHead(502, null, ("Retry-After", "3")), "{\"detail\":\"down\"}", Id, Text);
        ex.Attempts = 2;
        var submit = FalErrors.WithWorkNote(ex, FalOperation.Submit);
        Assert.Contains("fal may have created a job for it; it was not submitted again", submit.Message);
        Assert.Equal((ex.Kind, ex.StatusCode, ex.RequestId, ex.Detail, ex.Attempts), (submit.Kind, submit.StatusCode, submit.RequestId, submit.Detail, submit.Attempts));
        Assert.Contains("The model may have run for it on fal", FalErrors.WithWorkNote(ex, FalOperation.Run).Message);
        ex.RequestId = null;
        Assert.Contains("(its request id never arrived)", FalErrors.WithWorkNote(ex, FalOperation.Submit).Message);
    }

    [Fact]
    public void A_status_is_parsed_with_its_urls_trusted_only_on_the_queue()
    {
        var json = "{\"status\":\"IN_QUEUE\",\"request_id\":\"" + OtherId + "\",\"queue_position\":4294967296,"
            + "\"status_url\":\"https://queue.fal.run/x/requests/" + OtherId + "/status\",\"response_url\":\"https://evil.example/r\",\"cancel_url\":\"http://queue.fal.run/c\","
            + "\"logs\":[{\"message\":\"with " + Key + "\",\"level\":\"INFO\",\"timestamp\":\"2025-01-02T03:04:05Z\"},7],\"error\":{\"k\":\"" + Key + "\"},\"metrics\":{\"inference_time\":1.5}}";
        var s = FalAnswers.ParseStatus(json, new ResponseHead(202), Job, Text, Queue);
        Assert.Equal("IN_QUEUE", s.Status);
        Assert.Equal(OtherId, s.RequestId);
        Assert.Null(s.QueuePosition); // beyond int: no position rather than a wrapped one
        Assert.Equal("https://queue.fal.run/x/requests/" + OtherId + "/status", s.StatusUrl);
        Assert.Null(s.ResponseUrl); // another host
        Assert.Null(s.CancelUrl);   // not https
        var log = Assert.Single(s.Logs);
        Assert.Equal("with ***", log.Message);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).LocalDateTime, log.Timestamp);
        Assert.DoesNotContain(Key, s.Error);
        Assert.Equal(1.5, s.InferenceTime);
        // The configured queue (an emulator on loopback) is trusted over plain http too.
        Assert.Equal("http://127.0.0.1:5000/r", FalAnswers.TrustedQueueUrl("http://127.0.0.1:5000/r", new Uri("http://127.0.0.1:5000/")));
        Assert.Null(FalAnswers.TrustedQueueUrl("http://127.0.0.1:5001/r", new Uri("http://127.0.0.1:5000/")));
    }

    [Theory]
    [InlineData("{\"request_id\":\"x\"}", "carries no status")]
    [InlineData("[1,2]", "JSON but not an object")]
    [InlineData("<html>", "not valid JSON")]
    public void An_unusable_status_is_a_protocol_error_naming_the_request(string body, string message)
    {
        var ex = Assert.Throws<FalApiException>(() => FalAnswers.ParseStatus(body, new ResponseHead(200), Job, Text, Queue));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.Contains(message, ex.Message);
        Assert.Equal(Id, ex.RequestId);
        Assert.Equal(HttpStatusCode.OK, ex.StatusCode);
    }

    [Fact]
    public void The_head_of_a_response_prefers_its_own_headers_to_its_contents()
    {
        using var resp = new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("x") };
        resp.Headers.TryAddWithoutValidation("x-fal-request-id", Id);
        resp.Content.Headers.TryAddWithoutValidation("x-fal-request-id", OtherId);
        resp.Content.Headers.TryAddWithoutValidation("x-fal-error-type", "from_content");
        resp.Headers.TryAddWithoutValidation("Retry-After", "7");
        var head = ResponseHead.From(resp);
        Assert.Equal(502, head.StatusCode);
        Assert.Equal(Id, head.Header("X-FAL-REQUEST-ID"));
        Assert.Equal("from_content", head.Header("x-fal-error-type"));
        Assert.Equal(TimeSpan.FromSeconds(7), head.RetryAfter(DateTimeOffset.UtcNow));
        Assert.Null(new ResponseHead(503, null, ("Retry-After", "soon")).RetryAfter(DateTimeOffset.UtcNow));
    }

    // ---------------------------------------------------------------- classification

    [Fact]
    public void A_server_error_naming_the_request_at_submit_adopts_the_job_and_is_not_retried()
    {
        var f = AttemptFailure.FromAnswer(FalOperation.Submit, new ResponseHead(502, null, ("x-fal-request-id", Id)), "{}", null, Text, DateTimeOffset.UtcNow);
        Assert.True(f.AdoptsJob);
        Assert.False(f.Retry);
        Assert.Equal(ErrorOrigin.Fal, f.Origin);
        Assert.Equal(Id, f.Error.RequestId);
        // The caller's own start timeout is a final answer about that job.
        var user = AttemptFailure.FromAnswer(FalOperation.Submit, new ResponseHead(504, null, ("x-fal-request-id", Id), ("x-fal-request-timeout-type", "user")), "{}", null, Text, DateTimeOffset.UtcNow);
        Assert.False(user.AdoptsJob);
        Assert.False(user.Retry);
        // A read is never "adopted".
        Assert.False(AttemptFailure.FromAnswer(FalOperation.Status, new ResponseHead(502, null, ("x-fal-request-id", Id)), "{}", Id, Text, DateTimeOffset.UtcNow).AdoptsJob);
    }

    [Fact]
    public void An_ingress_page_is_retried_even_at_submit_and_proves_nothing_was_created()
    {
        var f = AttemptFailure.FromAnswer(FalOperation.Submit, new ResponseHead(504, "Gateway Timeout", ("Retry-After", "2")), "<html><center>nginx</center></html>", null, Text, DateTimeOffset.UtcNow);
        Assert.Equal(ErrorOrigin.Ingress, f.Origin);
        Assert.True(f.Retry);
        Assert.Equal(TimeSpan.FromSeconds(2), f.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), f.Error.RetryAfter);
        Assert.Same(f.Error, f.Final(FalOperation.Submit));
    }

    [Fact]
    public void A_final_failure_that_may_hide_a_job_says_so()
    {
        var anonymous502 = AttemptFailure.FromAnswer(FalOperation.Submit, new ResponseHead(502), "{}", null, Text, DateTimeOffset.UtcNow);
        Assert.False(anonymous502.Retry);
        Assert.Contains("it was not submitted again", anonymous502.Final(FalOperation.Submit).Message);

        var reset = AttemptFailure.NoAnswer(FalOperation.Run, "POST x failed: reset", null, null, beforeSend: false);
        Assert.False(reset.Retry);
        Assert.Contains("it was not run again", reset.Final(FalOperation.Run).Message);

        var refused = AttemptFailure.NoAnswer(FalOperation.Submit, "POST x failed: refused", null, null, beforeSend: true);
        Assert.True(refused.Retry);
        Assert.Same(refused.Error, refused.Final(FalOperation.Submit));

        var broken = AttemptFailure.BrokenAnswer(FalOperation.Submit, 200, "POST x: the response broke off", null, null);
        Assert.Contains("fal may have created a job", broken.Final(FalOperation.Submit).Message);
        Assert.True(AttemptFailure.BrokenAnswer(FalOperation.Status, 200, "GET x: broke", null, Id).Retry);
    }
}
