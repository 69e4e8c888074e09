using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Seedream.Core.Tests.Units;

public class RetryPolicyTests
{
    private static readonly FalOperation[] ReadOps = { FalOperation.Status, FalOperation.StatusStream, FalOperation.Result, FalOperation.Cancel, FalOperation.StorageInitiate, FalOperation.StorageUpload, FalOperation.StorageComplete, FalOperation.Download };
    private static readonly FalOperation[] BillableOps = { FalOperation.Submit, FalOperation.Run };

    [Theory]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public void Transient_statuses_are_retried_for_calls_that_create_nothing(int code)
    {
        foreach (var op in ReadOps) Assert.True(RetryPolicy.ShouldRetry(op, code, null), $"{op} {code}");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    [InlineData(501)]
    [InlineData(302)]
    public void Permanent_statuses_are_never_retried(int code)
    {
        foreach (var op in ReadOps.Concat(BillableOps)) Assert.False(RetryPolicy.ShouldRetry(op, code, null), $"{op} {code}");
    }

    [Fact]
    public void Status_500_is_retried_only_where_it_cannot_be_a_replayed_job_error_or_create_work()
    {
        foreach (var op in new[] { FalOperation.Status, FalOperation.StatusStream, FalOperation.Cancel, FalOperation.StorageInitiate, FalOperation.StorageUpload, FalOperation.CompletedResult })
            Assert.True(RetryPolicy.ShouldRetry(op, 500, null), op.ToString());
        // A result may replay the request's own 500; submit and run may have created the job.
        foreach (var op in new[] { FalOperation.Result, FalOperation.Submit, FalOperation.Run, FalOperation.Download, FalOperation.StorageComplete })
            Assert.False(RetryPolicy.ShouldRetry(op, 500, null), op.ToString());
    }

    [Fact]
    public void Garbled_answers_are_retried_only_for_calls_that_create_nothing()
    {
        foreach (var op in ReadOps.Where(o => o != FalOperation.StatusStream).Append(FalOperation.CompletedResult))
            Assert.True(RetryPolicy.ShouldRetryGarbledAnswer(op), op.ToString());
        foreach (var op in BillableOps.Append(FalOperation.StatusStream))
            Assert.False(RetryPolicy.ShouldRetryGarbledAnswer(op), op.ToString());
    }

    [Fact]
    public void A_user_start_timeout_is_never_retried()
    {
        foreach (var op in ReadOps.Concat(BillableOps))
        {
            Assert.False(RetryPolicy.ShouldRetry(op, 504, "user"), op.ToString());
            Assert.False(RetryPolicy.ShouldRetry(op, 504, "USER"), op.ToString());
        }
        // Any other timeout type is an ordinary gateway timeout.
        Assert.True(RetryPolicy.ShouldRetry(FalOperation.Status, 504, "gateway"));
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(503, true)]
    [InlineData(502, false)]
    [InlineData(504, false)]
    [InlineData(500, false)]
    [InlineData(408, false)]
    public void Submit_and_run_retry_only_provable_rejections(int code, bool expected)
    {
        foreach (var op in BillableOps) Assert.Equal(expected, RetryPolicy.ShouldRetry(op, code, null));
    }

    [Theory]
    [InlineData(502, false, "<html><center>nginx</center></html>", ErrorOrigin.Ingress)]
    [InlineData(504, false, "<hr><center>NGINX</center>", ErrorOrigin.Ingress)]
    [InlineData(503, false, "nginx", ErrorOrigin.Ingress)]
    [InlineData(500, false, "nginx", ErrorOrigin.Unknown)] // fal's client counts only 502-504 as ingress
    [InlineData(502, false, "{\"detail\":\"upstream\"}", ErrorOrigin.Unknown)]
    [InlineData(502, false, null, ErrorOrigin.Unknown)]
    [InlineData(502, true, "nginx", ErrorOrigin.Fal)] // the header wins: fal's servers sent it
    [InlineData(429, true, "{}", ErrorOrigin.Fal)]
    public void The_origin_of_an_error_follows_fals_client(int code, bool hasId, string? body, ErrorOrigin expected) =>
        Assert.Equal(expected, RetryPolicy.Origin(code, hasId, body));

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public void Ingress_errors_are_retried_by_every_call(int code)
    {
        foreach (var op in ReadOps.Concat(BillableOps).Append(FalOperation.CompletedResult))
            Assert.True(RetryPolicy.ShouldRetry(op, code, null, ErrorOrigin.Ingress), $"{op} {code}");
        Assert.False(RetryPolicy.ShouldRetry(FalOperation.Submit, 504, "user", ErrorOrigin.Ingress));
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(429, false)]
    [InlineData(404, false)]
    public void A_submit_server_error_that_names_the_request_adopts_the_job(int code, bool adopts)
    {
        Assert.Equal(adopts, RetryPolicy.AdoptsJob(FalOperation.Submit, code, null, ErrorOrigin.Fal));
        Assert.False(RetryPolicy.AdoptsJob(FalOperation.Submit, code, null, ErrorOrigin.Unknown));
        Assert.False(RetryPolicy.AdoptsJob(FalOperation.Submit, code, null, ErrorOrigin.Ingress));
        foreach (var op in ReadOps.Append(FalOperation.Run)) Assert.False(RetryPolicy.AdoptsJob(op, code, null, ErrorOrigin.Fal), op.ToString());
        Assert.False(RetryPolicy.AdoptsJob(FalOperation.Submit, 504, "user", ErrorOrigin.Fal));
        // Nor is it sent again: a 503 that names the request reached the queue.
        Assert.False(RetryPolicy.ShouldRetry(FalOperation.Submit, code == 429 ? 503 : code, null, ErrorOrigin.Fal));
    }

    [Fact]
    public void Only_billable_calls_that_may_have_arrived_can_have_left_work()
    {
        Assert.True(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, null, ErrorOrigin.Unknown, beforeSend: false));
        Assert.True(RetryPolicy.MayHaveCreatedWork(FalOperation.Run, 502, ErrorOrigin.Fal, beforeSend: false));
        Assert.True(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 200, ErrorOrigin.Unknown, beforeSend: false));
        Assert.True(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 503, ErrorOrigin.Fal, beforeSend: false));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, null, ErrorOrigin.Unknown, beforeSend: true));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 502, ErrorOrigin.Ingress, beforeSend: false));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 503, ErrorOrigin.Unknown, beforeSend: false));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 429, ErrorOrigin.Fal, beforeSend: false));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Submit, 422, ErrorOrigin.Fal, beforeSend: false));
        Assert.False(RetryPolicy.MayHaveCreatedWork(FalOperation.Status, null, ErrorOrigin.Unknown, beforeSend: false));
    }

    [Fact]
    public void Transport_failures_are_retried_for_billable_calls_only_before_send()
    {
        foreach (var op in BillableOps)
        {
            Assert.True(RetryPolicy.ShouldRetry(op, beforeSend: true));
            Assert.False(RetryPolicy.ShouldRetry(op, beforeSend: false));
        }
        foreach (var op in ReadOps)
        {
            Assert.True(RetryPolicy.ShouldRetry(op, beforeSend: true));
            Assert.True(RetryPolicy.ShouldRetry(op, beforeSend: false));
        }
    }

    [Fact]
    public void Before_send_is_recognised_through_wrappers()
    {
        var refused = new HttpRequestException("wrap", new SocketException((int)SocketError.ConnectionRefused));
        Assert.True(RetryPolicy.IsBeforeSend(refused));
        Assert.True(RetryPolicy.IsBeforeSend(new HttpRequestException("dns", new SocketException((int)SocketError.HostNotFound))));
        Assert.True(RetryPolicy.IsBeforeSend(new WebException("x", WebExceptionStatus.ConnectFailure)));
        // A reset may come after the server read the request.
        Assert.False(RetryPolicy.IsBeforeSend(new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset))));
        Assert.False(RetryPolicy.IsBeforeSend(new HttpRequestException("plain")));
        Assert.False(RetryPolicy.IsBeforeSend(new System.IO.IOException("eof")));
    }

    [Fact]
    public void Delay_doubles_each_attempt_within_jitter()
    {
        var b = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(100);
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var nominal = 100 * Math.Pow(2, attempt);
            for (var i = 0; i < 200; i++)
            {
                var d = RetryPolicy.Delay(attempt, b, max, null).TotalMilliseconds;
                Assert.InRange(d, nominal * 0.75 - 0.001, nominal * 1.25 + 0.001);
            }
        }
    }

    [Fact]
    public void Delay_has_real_jitter()
    {
        var values = Enumerable.Range(0, 100).Select(_ => RetryPolicy.Delay(2, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), null).TotalMilliseconds).ToList();
        Assert.True(values.Distinct().Count() > 10, "delays should differ");
        // Both halves of the ±25 % band are used.
        Assert.Contains(values, v => v < 390);
        Assert.Contains(values, v => v > 410);
    }

    [Fact]
    public void Delay_is_capped_including_its_jitter_band()
    {
        var max = TimeSpan.FromMilliseconds(1000);
        for (var i = 0; i < 200; i++)
        {
            var d = RetryPolicy.Delay(20, TimeSpan.FromMilliseconds(100), max, null).TotalMilliseconds;
            Assert.InRange(d, 750 - 0.001, 1250 + 0.001);
        }
        // Huge attempt numbers do not overflow.
        var huge = RetryPolicy.Delay(int.MaxValue, TimeSpan.FromMilliseconds(100), max, null);
        Assert.InRange(huge.TotalMilliseconds, 750 - 0.001, 1250 + 0.001);
    }

    [Fact]
    public void Retry_after_is_used_exactly_and_capped()
    {
        var b = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.FromSeconds(7), RetryPolicy.Delay(0, b, max, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(7), RetryPolicy.Delay(5, b, max, TimeSpan.FromSeconds(7)));
        Assert.Equal(max, RetryPolicy.Delay(0, b, max, TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.Zero, RetryPolicy.Delay(3, b, max, TimeSpan.Zero));
    }

    [Fact]
    public void Retry_after_seconds_are_parsed()
    {
        using var resp = new HttpResponseMessage((HttpStatusCode)429);
        resp.Headers.TryAddWithoutValidation("Retry-After", "12");
        Assert.Equal(TimeSpan.FromSeconds(12), RetryPolicy.ParseRetryAfter(resp, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Retry_after_http_date_is_relative_to_now()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        using var resp = new HttpResponseMessage((HttpStatusCode)503);
        resp.Headers.TryAddWithoutValidation("Retry-After", "Sun, 01 Mar 2026 12:00:45 GMT");
        Assert.Equal(TimeSpan.FromSeconds(45), RetryPolicy.ParseRetryAfter(resp, now));

        using var past = new HttpResponseMessage((HttpStatusCode)503);
        past.Headers.TryAddWithoutValidation("Retry-After", "Sun, 01 Mar 2026 11:00:00 GMT");
        Assert.Equal(TimeSpan.Zero, RetryPolicy.ParseRetryAfter(past, now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("soon")]
    [InlineData("-5")]
    public void Missing_or_unusable_retry_after_is_null(string? value)
    {
        using var resp = new HttpResponseMessage((HttpStatusCode)429);
        if (value != null) resp.Headers.TryAddWithoutValidation("Retry-After", value);
        Assert.Null(RetryPolicy.ParseRetryAfter(resp, DateTimeOffset.UtcNow));
    }
}
