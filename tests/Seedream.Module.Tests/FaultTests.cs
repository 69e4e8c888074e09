using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>An emulator that faults one request in five, of every kind, with a fixed seed; fast jobs, many runners.</summary>
    public sealed class FaultyEmulatorFixture : EmulatorFixture
    {
        public const int Seed = 6021;

        protected override EmulatorOptions Options => FaultTests.Faulty(processingMs: 100);
    }

    /// <summary>
    /// The module under a faulty server: every edit ends in its result or in exactly one error
    /// (naming the request id whenever the client had learnt it), nothing is billed twice, and
    /// nothing is left running once the command is over, stopped, or timed out.
    /// </summary>
    public class FaultTests : IClassFixture<FaultyEmulatorFixture>
    {
        private readonly FaultyEmulatorFixture _fx;
        public FaultTests(FaultyEmulatorFixture fx) => _fx = fx;

        internal static EmulatorOptions Faulty(int processingMs, double rate = 0.2, IReadOnlyCollection<FaultKind>? kinds = null) => new EmulatorOptions
        {
            ProcessingMs = processingMs,
            // Few runners: rendering real PNGs is CPU work, and a 2-core machine must still answer in time.
            Runners = 4,
            RequireKey = EmulatorFixture.Key,
            PingMs = 100,
            FaultRate = rate,
            FaultKinds = kinds,
            FaultSeed = FaultyEmulatorFixture.Seed,
            // Beyond the client's 3 s timeout (Connect-Seedream -TimeoutSec 3).
            FaultSlowMs = 3500,
        };

        /// <summary>A short per-request timeout so 'slow' answers are given up on, and quick retries.</summary>
        private const string ConnectShort = "Connect-Seedream -ApiKey $key -ProxyUrl $proxy -TimeoutSec 3 -RetryDelayMilliseconds 20 -MaxRetryCount 3\n";

        private static readonly string[] ClientFailureIds = { "SeedreamServerError", "SeedreamConnectionFailed", "SeedreamRateLimited", "SeedreamProtocolError" };

        private static Dictionary<string, object?> Vars(FalEmulator emulator, params (string, object?)[] more)
        {
            var vars = new Dictionary<string, object?> { ["key"] = EmulatorFixture.Key, ["proxy"] = emulator.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri };
            foreach (var (k, v) in more) vars[k] = v;
            return vars;
        }

        private static bool IsRequestId(object? target) => target is string s && Guid.TryParse(s, out _);

        /// <summary>Faults on the calls made before the client knows a request id: only they may cause an error without one.</summary>
        private static long FaultsBeforeAnId(EmulatorStats s) =>
            s.FaultsInjected.ByRoute.Where(p => p.Key == "submit" || p.Key.StartsWith("storage.", StringComparison.Ordinal)).Sum(p => p.Value);

        /// <summary>Faults that can leave a job running: a lost submit answer (orphan) or a cancel that never got through.</summary>
        private static long FaultsThatCanOrphan(EmulatorStats s) =>
            s.FaultsInjected.ByRoute.Where(p => p.Key is "submit" or "cancel").Sum(p => p.Value);

        /// <summary>
        /// Waits until no job is queued or running. Jobs whose submit answer was lost (502/504/slow
        /// after the job was created) are orphans the client cannot know about, let alone cancel:
        /// they are allowed to run to their natural end, which takes one processing time. A job
        /// still IN_QUEUE or IN_PROGRESS after that would be one waiting forever.
        /// </summary>
        private static async Task AssertNothingLeftRunningAsync(FalEmulator emulator, int processingMs)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(processingMs + 5000);
            while (DateTime.UtcNow < deadline && emulator.GetStats() is var s && s.InQueue + s.InProgress > 0) await Task.Delay(50);
            var after = emulator.GetStats();
            Assert.Equal(0, after.InQueue + after.InProgress);
            Assert.Equal(after.Submitted, after.Completed + after.Failed + after.Cancelled);
        }

        /// <summary>Which edit (by prompt) an error belongs to: through its request id, or the prompt in its target.</summary>
        private string PromptOf(FalEmulator emulator, ErrorRecord e)
        {
            if (IsRequestId(e.TargetObject))
                return EmulatorProbe.Job(emulator, (string)e.TargetObject).GetProperty("input").GetProperty("prompt").GetString()!;
            var m = Regex.Match(e.TargetObject?.ToString() ?? "", "'(fault edit \\d+)'");
            Assert.True(m.Success, $"error without a request id names no edit: {e.TargetObject} / {e}");
            return m.Groups[1].Value;
        }

        [Fact]
        public async Task Many_edits_under_faults_each_end_once_and_none_is_billed_twice()
        {
            const int n = 60;
            using var dir = new TempDir();
            // Every fourth edit uploads its own local file, so upload faults are met too.
            for (var i = 0; i < n; i += 4) TestImages.WritePng(dir.Path, $"in{i}.png");
            var emulator = _fx.Emulator;
            using var ps = new PsHost(emulator);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var r = ps.Run(ConnectShort + @"
                0..($n - 1) | ForEach-Object {
                    [pscustomobject]@{ Prompt = ('fault edit {0:D3}' -f $_); Image = $(if ($_ % 4 -eq 0) { ""$dir/in$_.png"" } else { $img }) }
                } | Invoke-SeedreamEdit -ThrottleLimit 16", Vars(emulator, ("n", n), ("dir", dir.Path)));
            clock.Stop();
            var stats = emulator.GetStats();

            Assert.Null(r.Terminating);
            // Exactly one outcome per edit: its result or one error.
            Assert.True(n == r.Output.Count + r.Errors.Count, $"{r.Output.Count} results and {r.Errors.Count} errors for {n} edits:\n" + string.Join("\n", r.Errors.Select(e => $"{e.FullyQualifiedErrorId} [{e.TargetObject}] {e}")));
            var outcomes = r.Output.Select(o => (string)o.P("Prompt")!).Concat(r.Errors.Select(e => PromptOf(emulator, e))).ToList();
            Assert.Equal(Enumerable.Range(0, n).Select(i => $"fault edit {i:D3}"), outcomes.OrderBy(p => p, StringComparer.Ordinal));
            Assert.All(r.Output, o => Assert.NotEmpty(o.Items("Images")));
            Assert.All(r.ErrorIds, id => Assert.Contains(id, ClientFailureIds));
            // Errors without a request id happened before the client had one (submit, uploads).
            Assert.InRange(r.Errors.Count(e => !IsRequestId(e.TargetObject)), 0, FaultsBeforeAnId(stats));
            // Most edits got through: the faults were retried or recovered where that is safe.
            Assert.True(r.Output.Count >= n * 0.75, $"{r.Output.Count} of {n} edits succeeded; errors: {string.Join("; ", r.Errors.Select(e => e.ToString()))}");

            Assert.Equal(0, stats.DuplicateJobs);
            Assert.Empty(stats.DuplicateBodies);
            Assert.True(stats.FaultsInjected.Total >= 25, $"{stats.FaultsInjected.Total} faults");
            Assert.True(stats.FaultsInjected.ByKind.Count >= 7, string.Join(", ", stats.FaultsInjected.ByKind.Keys));
            Assert.Equal(0, stats.DirectRequestsWithAuthorization);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
            await AssertNothingLeftRunningAsync(emulator, 100);
        }

        [Fact]
        public async Task CtrlC_under_faults_cancels_what_it_knows_and_leaves_only_orphans_that_finish()
        {
            const int processingMs = 2000;
            await using var emulator = await FalEmulator.StartAsync(Faulty(processingMs));
            using var ps = new PsHost(emulator);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var r = await ps.RunAndStopAsync(ConnectShort + @"
                1..40 | ForEach-Object { [pscustomobject]@{ Prompt = ""fault edit $_""; Image = $img } } | Invoke-SeedreamEdit -ThrottleLimit 16",
                () => emulator.GetStats() is var s && s.InProgress + s.InQueue >= 10, Vars(emulator), TimeSpan.FromSeconds(20));
            // A cancel the server accepted ends the running job a moment later: give that up to
            // one second — far less than the 2 s model time, so orphans are still running then.
            var stopped = emulator.GetStats();
            for (var i = 0; i < 20 && stopped.InQueue + stopped.InProgress > FaultsThatCanOrphan(stopped); i++)
            {
                await Task.Delay(50);
                stopped = emulator.GetStats();
            }

            Assert.IsAssignableFrom<PipelineStoppedException>(r.Terminating);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the stop took {clock.Elapsed}");
            Assert.True(stopped.Cancelled >= 1, "the stop cancelled nothing");
            // What still runs once the stop has returned is explained by faults: answers the client never got.
            Assert.InRange(stopped.InQueue + stopped.InProgress, 0, FaultsThatCanOrphan(stopped));
            Assert.Equal(0, stopped.DuplicateJobs);
            await AssertNothingLeftRunningAsync(emulator, processingMs);
        }

        [Fact]
        public async Task TimeoutSec_under_faults_reports_each_edit_once_and_cancels_them()
        {
            const int processingMs = 2000;
            await using var emulator = await FalEmulator.StartAsync(Faulty(processingMs));
            using var ps = new PsHost(emulator);
            var r = ps.Run(ConnectShort + @"
                1..16 | ForEach-Object { [pscustomobject]@{ Prompt = ""fault edit $_""; Image = $img } } | Invoke-SeedreamEdit -ThrottleLimit 16 -TimeoutSec 1",
                Vars(emulator));
            var ended = emulator.GetStats();

            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            Assert.Equal(16, r.Errors.Count);
            Assert.Equal(16, r.Errors.Select(e => PromptOf(emulator, e)).Distinct().Count());
            foreach (var e in r.Errors)
            {
                var id = e.FullyQualifiedErrorId.Split(',')[0];
                if (id == "SeedreamWaitTimeout") Assert.True(IsRequestId(e.TargetObject) && e.Exception.Message.Contains((string)e.TargetObject));
                else Assert.Contains(id, ClientFailureIds);
            }
            Assert.True(r.ErrorIds.Count(id => id == "SeedreamWaitTimeout") >= 16 - FaultsBeforeAnId(ended));
            Assert.True(ended.Cancelled >= 1);
            Assert.InRange(ended.InQueue + ended.InProgress, 0, FaultsThatCanOrphan(ended));
            Assert.Equal(0, ended.DuplicateJobs);
            await AssertNothingLeftRunningAsync(emulator, processingMs);
        }

        [Fact]
        public async Task Gateway_errors_of_both_shapes_on_every_route_lose_no_edit_and_create_no_extra_job()
        {
            // A quarter of all requests get 502 or 504, half of them the ingress proxy's page (nothing
            // arrived: retried), half fal's own error naming the request (a submit's job is adopted).
            // Streaming edits meet them on the stream, -NoStream edits on status polls.
            const int n = 24;
            await using var emulator = await FalEmulator.StartAsync(Faulty(100, rate: 0.25, kinds: new[] { FaultKind.BadGateway, FaultKind.GatewayTimeout }));
            using var ps = new PsHost(emulator);
            var r = ps.Run(@"Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 20 -MaxRetryCount 8
                $rows = 1..$n | ForEach-Object { [pscustomobject]@{ Prompt = ""gateway edit $_""; Image = $img } }
                $rows[0..($n / 2 - 1)] | Invoke-SeedreamEdit -ThrottleLimit 8
                $rows[($n / 2)..($n - 1)] | Invoke-SeedreamEdit -ThrottleLimit 8 -NoStream", Vars(emulator, ("n", n)));
            var stats = emulator.GetStats();

            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors.Select(e => $"{e.FullyQualifiedErrorId} [{e.TargetObject}] {e}")));
            Assert.Equal(Enumerable.Range(1, n).Select(i => $"gateway edit {i}").OrderBy(p => p, StringComparer.Ordinal),
                r.Output.Select(o => (string)o.P("Prompt")!).OrderBy(p => p, StringComparer.Ordinal));
            Assert.Equal(n, stats.Submitted); // one job per edit: none lost to an ingress error, none sent twice
            Assert.Equal(0, stats.DuplicateJobs);
            foreach (var route in new[] { "submit", "status", "stream", "result" })
                foreach (var shape in new[] { "ingress", "server" })
                    Assert.True(stats.FaultsInjected.ByShape.GetValueOrDefault(route + "." + shape) > 0,
                        $"{route}.{shape} never happened: {string.Join(", ", stats.FaultsInjected.ByShape.Select(p => p.Key + "=" + p.Value))}");
            await AssertNothingLeftRunningAsync(emulator, 100);
        }

        [Fact]
        public async Task Dropped_status_streams_resume_by_polling_and_lose_no_job()
        {
            // Every status stream is dropped before COMPLETED; nothing else fails.
            await using var emulator = await FalEmulator.StartAsync(Faulty(300, rate: 1, kinds: new[] { FaultKind.SseDrop }));
            using var ps = new PsHost(emulator);
            var r = ps.Run(@"
                1..8 | ForEach-Object { [pscustomobject]@{ Prompt = ""fault edit $_""; Image = $img } } | Invoke-SeedreamEdit -ThrottleLimit 8
                Submit-SeedreamJob -Prompt 'fault edit 9' -Image $img | Wait-SeedreamJob | Receive-SeedreamJob", Vars(emulator));
            var stats = emulator.GetStats();

            Assert.Empty(r.Errors);
            Assert.Equal(Enumerable.Range(1, 9).Select(i => $"fault edit {i}"), r.Output.Select(o => (string)o.P("Prompt")!).OrderBy(p => p, StringComparer.Ordinal));
            Assert.Equal(9, stats.Submitted);
            Assert.Equal(9, stats.Completed);
            Assert.Equal(stats.RequestsByRoute["stream"], stats.FaultsInjected.ByKind["sse-drop"]);
            Assert.True(stats.RequestsByRoute.GetValueOrDefault("status") >= 9, "the waits did not fall back to status reads");
            Assert.Equal(0, stats.DuplicateJobs);
            await AssertNothingLeftRunningAsync(emulator, 300);
        }
    }
}
