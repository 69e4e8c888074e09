using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.AspNetCore.Http;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>
/// The attempt deadline (RequestTimeout): a whole API exchange is bounded by it, a transfer only
/// by the time between two chunks, so a slow but moving download is not cut off.
/// </summary>
public class DeadlineTests
{
    /// <summary>Sends <paramref name="body"/> in ten pieces, <paramref name="gapMs"/> apart (about 3 s in all).</summary>
    private static async Task Drip(HttpContext ctx, int code, string contentType, byte[] body, int gapMs = 330)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        var piece = body.Length / 10;
        for (var i = 0; i < 10; i++)
        {
            var n = i == 9 ? body.Length - 9 * piece : piece;
            await ctx.Response.Body.WriteAsync(body.AsMemory(i * piece, n));
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(gapMs, ctx.RequestAborted);
        }
    }

    [Fact]
    public async Task A_download_that_keeps_moving_outlasts_the_request_timeout()
    {
        var bytes = new byte[10_000];
        new Random(7).NextBytes(bytes);
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => Drip(ctx, 200, "application/octet-stream", bytes));
        using var client = Direct(s, o => { o.RequestTimeout = TimeSpan.FromSeconds(1.5); o.MaxRetryCount = 0; });
        var path = Path.Combine(Path.GetTempPath(), "seedream-deadline-" + Guid.NewGuid().ToString("N") + ".bin");
        try
        {
            var clock = Stopwatch.StartNew();
            var dl = await client.DownloadAsync(s.Url("files/slow.bin"), path, bytes.Length, 1_000_000, null, Timeout());
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}"); // longer than the timeout...
            Assert.Equal(bytes.Length, dl.Length);                                             // ...and complete
            Assert.Equal(bytes, System.IO.File.ReadAllBytes(path));
            Assert.Equal(1, s.Count("other"));
        }
        finally { System.IO.File.Delete(path); }
    }

    [Fact]
    public async Task An_api_answer_that_drips_is_bounded_by_the_request_timeout_as_a_whole()
    {
        var json = Encoding.UTF8.GetBytes(ScriptedFal.StatusJson(JobStatus.InQueue) + new string(' ', 200));
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => Drip(ctx, 202, "application/json", json));
        using var client = Direct(s, o => { o.RequestTimeout = TimeSpan.FromSeconds(1.5); o.MaxRetryCount = 0; });
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(Queued, false, Timeout()));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 2.8);
        Assert.Equal(FalErrorKind.Connection, ex.Kind);
        Assert.Contains("reading the response timed out after 1.5 s", ex.Message);
        Assert.Equal(ScriptedFal.RequestId, ex.RequestId);
    }

    [Fact]
    public async Task A_download_that_stalls_is_cut_off_after_the_request_timeout()
    {
        var bytes = new byte[10_000];
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => Drip(ctx, 200, "application/octet-stream", bytes, gapMs: 5000));
        using var client = Direct(s, o => { o.RequestTimeout = TimeSpan.FromSeconds(1.5); o.MaxRetryCount = 0; });
        var path = Path.Combine(Path.GetTempPath(), "seedream-deadline-" + Guid.NewGuid().ToString("N") + ".bin");
        try
        {
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAnyAsync<FalApiException>(() => client.DownloadAsync(s.Url("files/stall.bin"), path, null, 1_000_000, null, Timeout()));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.2, 4);
            Assert.Equal(FalErrorKind.Connection, ex.Kind);
            Assert.Contains("timed out", ex.Message);
        }
        finally { System.IO.File.Delete(path); }
    }
}
