using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// A scripted fake fal used as the module's proxy: where the key may go (only to it, never to
    /// the other origin it names), and answers no real server should send (enormous lengths,
    /// endless streams, deep and huge JSON): each ends in one clear error, in bounded time, with
    /// no partial files left behind.
    /// </summary>
    public class HostileApiTests
    {
        private const string Connect = "Connect-Seedream -ApiKey $key -ProxyUrl $proxy -TimeoutSec 10 -MaxRetryCount 1 -RetryDelayMilliseconds 10\n";

        private static Dictionary<string, object?> Vars(ScriptedFal fal, params (string, object?)[] more)
        {
            var vars = new Dictionary<string, object?> { ["key"] = EmulatorFixture.Key, ["proxy"] = fal.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri };
            foreach (var (k, v) in more) vars[k] = v;
            return vars;
        }

        /// <summary>The other origin: accepts uploads, serves a PNG (also behind a redirect), records everything.</summary>
        private static Task<ScriptedFal> ForeignAsync() => ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (HttpMethods.IsPut(ctx.Request.Method))
            {
                await ScriptedFal.Drain(ctx);
                ctx.Response.StatusCode = 200;
                return;
            }
            if (ctx.Request.Path == "/moved")
            {
                ctx.Response.StatusCode = 302;
                ctx.Response.Headers.Location = "/out.png";
                return;
            }
            var png = Png.Bytes;
            ctx.Response.ContentType = "image/png";
            ctx.Response.ContentLength = png.Length;
            await ctx.Response.Body.WriteAsync(png);
        });

        [Fact]
        public async Task The_key_goes_to_the_proxy_only_never_to_the_origin_it_names()
        {
            await using var foreign = await ForeignAsync();
            var elsewhere = foreign.Url("fal-ai/bytedance/requests/" + ScriptedFal.RequestId);
            var hook = foreign.Url("hook?token=abc");
            await using var fal = await ScriptedFal.StartAsync((ctx, route, n) => route switch
            {
                // Every URL the fake fal names is on the other origin.
                "submit" => ScriptedFal.SubmitOk(ctx, $"\"status_url\":\"{elsewhere}/status\",\"response_url\":\"{elsewhere}\",\"cancel_url\":\"{elsewhere}/cancel\""),
                "storage" => ScriptedFal.Json(ctx, 200, $"{{\"upload_url\":\"{foreign.Url("upload/1?sig=s")}\",\"file_url\":\"{foreign.Url("file.png")}\"}}"),
                "stream" => Redirect(ctx, foreign.Url("stream")),
                "status" => ScriptedFal.Status(ctx, "COMPLETED", $"\"response_url\":\"{elsewhere}\",\"status_url\":\"{elsewhere}/status\""),
                "result" => ScriptedFal.Json(ctx, 200, $"{{\"images\":[{{\"url\":\"{foreign.Url("moved")}\",\"content_type\":\"image/png\",\"width\":2,\"height\":2}}],\"seed\":1}}"),
                "cancel" => ScriptedFal.Json(ctx, 202, "{\"status\":\"CANCELLATION_REQUESTED\"}"),
                _ => ScriptedFal.Json(ctx, 404, "{\"detail\":\"no\"}"),
            });
            using var dir = new TempDir();
            var png = TestImages.WritePng(dir.Path, "in.png");
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(Connect + @"
                Send-SeedreamFile -LiteralPath $png
                Invoke-SeedreamEdit -Prompt 'p' -Image $png -OutFolder $out
                $j = Submit-SeedreamJob -Prompt 'q' -Image $img -WebhookUrl $hook
                $j | Get-SeedreamJobStatus
                $j | Wait-SeedreamJob | Receive-SeedreamJob | Save-SeedreamImage -Destination $out -NameTemplate 'saved-{Index}.{ext}'
                $j | Stop-SeedreamJob -Confirm:$false
                # A job whose stored URLs were tampered with is held to the same rule.
                [pscustomobject]@{ RequestId = $j.RequestId; StatusUrl = $status; ResponseUrl = $result; CancelUrl = $status } | Receive-SeedreamJob",
                Vars(fal, ("png", png), ("out", Path.Combine(dir.Path, "out")), ("hook", hook), ("status", elsewhere + "/status"), ("result", elsewhere)));

            Assert.Null(r.Terminating);
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => e.ToString())));
            Assert.Equal(2, Directory.GetFiles(Path.Combine(dir.Path, "out")).Length); // the edit's image, and one saved
            // The fake fal got every API call, each with the key...
            Assert.All(fal.Seen, s => Assert.Equal("Key " + EmulatorFixture.Key, s.Authorization));
            Assert.Contains(fal.Seen, s => s.Route == "submit" && s.Target.Contains("fal_webhook=" + Uri.EscapeDataString(hook), StringComparison.Ordinal));
            // ...the other origin got the uploads and downloads, never the key, and no API call.
            Assert.Contains(foreign.Seen, s => s.Method == "PUT");
            Assert.Contains(foreign.Seen, s => s.Target == "/moved");
            Assert.Contains(foreign.Seen, s => s.Target == "/out.png");
            Assert.All(foreign.Seen, s =>
            {
                Assert.Null(s.Authorization);
                Assert.DoesNotContain(EmulatorFixture.Key, s.AllHeaders);
                Assert.DoesNotContain("/requests/", s.Target);
                Assert.DoesNotContain("stream", s.Target);
                Assert.DoesNotContain("hook", s.Target);
            });
        }

        private static Task Redirect(HttpContext ctx, string location)
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = location;
            return Task.CompletedTask;
        }

        [Fact]
        public async Task A_redirect_to_another_origin_is_never_followed_with_the_key()
        {
            await using var foreign = await ForeignAsync();
            await using var fal = await ScriptedFal.StartAsync((ctx, route, n) => route switch
            {
                "submit" => ScriptedFal.SubmitOk(ctx),
                "stream" or "status" => ScriptedFal.Status(ctx, "COMPLETED"),
                "cancel" => ScriptedFal.Json(ctx, 202, "{}"),
                _ => Redirect(ctx, foreign.Url("fal-ai/bytedance/requests/" + ScriptedFal.RequestId)),
            });
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(Connect + "Invoke-SeedreamEdit -Prompt 'p' -Image $img -NoStream", Vars(fal));
            Assert.Equal("SeedreamProtocolError", Assert.Single(r.ErrorIds));
            Assert.Equal(ScriptedFal.RequestId, r.Errors[0].TargetObject);
            Assert.Contains("redirect", r.Errors[0].Exception.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(foreign.Seen);
        }

        private static async Task StreamCompleted(HttpContext ctx)
        {
            ctx.Response.ContentType = "text/event-stream";
            await ScriptedFal.Write(ctx, "data: " + ScriptedFal.StatusJson("COMPLETED") + "\n\n");
        }

        public static IEnumerable<object[]> HostileAnswers() => new[]
        {
            new object[] { "result", "enormous-length", "byte limit" },
            new object[] { "result", "huge-body", "byte limit" },
            new object[] { "result", "deep", "not valid JSON" },
            new object[] { "status", "deep", "not valid JSON" },
            new object[] { "submit", "deep", "not valid JSON" },
            new object[] { "submit", "enormous-length", "byte limit" },
        };

        private static Func<HttpContext, Task> Answer(string kind) => kind switch
        {
            // Declares a terabyte; sends a little, then waits for the client to give up.
            "enormous-length" => async ctx =>
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                ctx.Response.ContentLength = 1L << 40;
                await ScriptedFal.Write(ctx, "{\"images\":[");
                await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted);
            },
            // No length: 80 MB of JSON-looking text, more than the client's 64 MB bound.
            "huge-body" => async ctx =>
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                await ScriptedFal.Write(ctx, "{\"images\":[],\"pad\":\"");
                var chunk = new byte[1 << 20];
                Array.Fill(chunk, (byte)'x');
                for (var i = 0; i < 80; i++) await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                await ScriptedFal.Write(ctx, "\"}");
            },
            // Ten thousand levels: the client allows 64.
            _ => async ctx =>
            {
                if (ctx.Request.Headers.Accept.ToString().Contains("text/event-stream"))
                {
                    ctx.Response.ContentType = "text/event-stream";
                    await ScriptedFal.Write(ctx, "data: " + ScriptedFal.Deep(10_000) + "\n\n");
                    return;
                }
                await ScriptedFal.Json(ctx, 200, ScriptedFal.Deep(10_000));
            },
        };

        [Theory]
        [MemberData(nameof(HostileAnswers))]
        public async Task A_hostile_answer_ends_in_one_clear_error_and_leaves_no_files(string route, string kind, string message)
        {
            // For "status", the stream is hostile too, so the wait has to read statuses.
            await using var fal = await ScriptedFal.StartAsync((ctx, r, n) =>
                r == route || (route == "status" && r == "stream") ? Answer(kind)(ctx)
                : r switch
                {
                    "submit" => ScriptedFal.SubmitOk(ctx),
                    "status" => ScriptedFal.Status(ctx, "COMPLETED"),
                    "stream" => StreamCompleted(ctx),
                    "cancel" => ScriptedFal.Json(ctx, 202, "{}"),
                    _ => ScriptedFal.Json(ctx, 200, "{\"images\":[],\"seed\":1}"),
                });
            using var dir = new TempDir();
            var output = Path.Combine(dir.Path, "out");
            using var ps = new PsHost(null, connect: false);
            var clock = Stopwatch.StartNew();
            var r = ps.Run(Connect + "Invoke-SeedreamEdit -Prompt 'p' -Image $img -OutFolder $out", Vars(fal, ("out", output)));
            clock.Stop();

            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamProtocolError", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains(message, error.Exception.Message + error.Exception.InnerException?.Message, StringComparison.Ordinal);
            if (route != "submit") Assert.Equal(ScriptedFal.RequestId, error.TargetObject);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
            Assert.Empty(FileAssert.Listing(output));
            // Submits are never repeated; a broken read is repeated at most -MaxRetryCount times.
            Assert.Equal(1, fal.Count("submit"));
            Assert.InRange(fal.Count(route), 1, 2);
        }

        [Fact]
        public async Task An_endless_status_stream_is_bounded_by_TimeoutSec_and_the_request_cancelled()
        {
            await using var fal = await ScriptedFal.StartAsync(async (ctx, route, n) =>
            {
                switch (route)
                {
                    case "submit":
                        await ScriptedFal.SubmitOk(ctx);
                        return;
                    case "stream":
                        // Never COMPLETED: an event, then pings until the client hangs up.
                        ctx.Response.ContentType = "text/event-stream";
                        await ScriptedFal.Write(ctx, "data: " + ScriptedFal.StatusJson("IN_PROGRESS") + "\n\n");
                        while (!ctx.RequestAborted.IsCancellationRequested)
                        {
                            await ScriptedFal.Write(ctx, ": ping\n\n");
                            await Task.Delay(100, ctx.RequestAborted);
                        }
                        return;
                    case "status":
                        await ScriptedFal.Status(ctx, "IN_PROGRESS");
                        return;
                    case "cancel":
                        await ScriptedFal.Json(ctx, 202, "{\"status\":\"CANCELLATION_REQUESTED\"}");
                        return;
                    default:
                        await ScriptedFal.Json(ctx, 404, "{}");
                        return;
                }
            });
            using var ps = new PsHost(null, connect: false);
            var clock = Stopwatch.StartNew();
            var r = ps.Run(Connect + "Invoke-SeedreamEdit -Prompt 'p' -Image $img -TimeoutSec 2", Vars(fal));
            clock.Stop();

            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamWaitTimeout", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ScriptedFal.RequestId, error.TargetObject);
            Assert.Contains("did not complete within 2 s", error.Exception.Message, StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 15);
            Assert.Equal(1, fal.Count("cancel"));
            Assert.Equal(1, fal.Count("stream")); // one long stream, kept alive by pings, not reconnected
        }
    }
}
