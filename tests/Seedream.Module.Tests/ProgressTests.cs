using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Progress bars as a host sees them in the progress stream (where only the ActivityId tells
    /// bars apart): every bar has its own id, even across commands of one pipeline, and each is
    /// closed once.
    /// </summary>
    public class ProgressTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public ProgressTests(EmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

        [Fact]
        public void Uploads_and_saves_in_one_pipeline_never_share_a_bar()
        {
            // Before, the 257th upload's bar had Save-SeedreamImage's id.
            using var dir = new TempDir();
            var paths = Enumerable.Range(1, 260).Select(i => TestImages.WritePng(dir.Path, $"f{i}.png")).ToArray();
            var output = Path.Combine(dir.Path, "saved");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("$paths | Send-SeedreamFile -ThrottleLimit 8 | Save-SeedreamImage -Destination $out", Vars(("paths", paths), ("out", output)));

            Assert.Empty(r.Errors);
            Assert.Equal(260, r.Output.Count);
            var uploads = r.Progress.Where(p => p.Activity == "Uploading to fal storage").ToList();
            var saves = r.Progress.Where(p => p.Activity == "Saving images").ToList();
            Assert.Equal(260, uploads.Select(p => p.ActivityId).Distinct().Count());
            Assert.NotEmpty(saves);
            Assert.Empty(uploads.Select(p => p.ActivityId).Intersect(saves.Select(p => p.ActivityId)));
            // Small files are counted in bytes (not "0.0 of 0.0 MB"); a save names the file it writes.
            Assert.Contains(uploads, p => p.StatusDescription.Contains(" B of ", StringComparison.Ordinal));
            Assert.DoesNotContain(r.Progress, p => p.StatusDescription.Contains("0.0 of 0.0 MB", StringComparison.Ordinal));
            Assert.All(saves, p => Assert.Matches(@"^image-\d+\.png", p.StatusDescription));
        }

        [Fact]
        public void Two_edit_commands_in_one_pipeline_have_their_own_bars_each_closed_once()
        {
            using var dir = new TempDir();
            var images = Enumerable.Range(1, 3).Select(i => TestImages.WritePng(dir.Path, $"in{i}.png")).ToArray();
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("$images | Invoke-SeedreamEdit -Prompt first -ThrottleLimit 3 | Invoke-SeedreamEdit -Prompt second -ThrottleLimit 2", Vars(("images", images)));

            Assert.Empty(r.Errors);
            Assert.Equal(3, r.Output.Count);
            var batches = r.Progress.Where(p => p.Activity == "Seedream edits").GroupBy(p => p.ActivityId).ToList();
            // One batch bar per command, with ids of their own, each closed by one Completed record.
            Assert.Equal(2, batches.Count);
            Assert.All(batches, b => Assert.Single(b, p => p.RecordType == ProgressRecordType.Completed));
            Assert.All(batches, b => Assert.Contains(b, p => p.StatusDescription.StartsWith("3 done", StringComparison.Ordinal)));
            var edits = r.Progress.Where(p => p.Activity == "Seedream edit").GroupBy(p => p.ActivityId).ToList();
            Assert.Equal(6, edits.Count);
            Assert.Empty(edits.Select(e => e.Key).Intersect(batches.Select(b => b.Key)));
            // Before, a finished edit's bar was closed twice: once under its batch, once on its own.
            Assert.All(edits, e => Assert.Single(e, p => p.RecordType == ProgressRecordType.Completed));
        }

        [Fact]
        public async Task A_long_wait_writes_the_shown_bars_again_so_the_console_draws_them()
        {
            // pwsh draws progress only when a record arrives; a bar written once at the start of a
            // long wait stayed undrawn (or stale) until the edit finished.
            await using var slow = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 3000, Runners = 2, RequireKey = EmulatorFixture.Key, PingMs = 100 });
            using var dir = new TempDir();
            var image = TestImages.WritePng(dir.Path, "in.png");
            using var ps = new PsHost(slow);

            var r = ps.Run("Invoke-SeedreamEdit -Prompt slow -Image $image", Vars(("image", image)));

            Assert.Empty(r.Errors);
            var bar = r.Progress.Where(p => p.Activity == "Seedream edit").ToList();
            var running = bar.Where(p => p.StatusDescription == "Running" && p.RecordType == ProgressRecordType.Processing).ToList();
            Assert.True(running.Count >= 2, $"'Running' was written {running.Count} time(s) during a 3 s edit");
            // Refreshes repeat the bar as it stands; none comes after it was closed.
            Assert.Equal(ProgressRecordType.Completed, bar.Last().RecordType);
            Assert.Single(bar, p => p.RecordType == ProgressRecordType.Completed);
        }

        [Fact]
        public void A_batch_counts_failures_among_the_done_ones()
        {
            using var dir = new TempDir();
            var good = TestImages.WritePng(dir.Path, "good.png");
            using var ps = new PsHost(_fx.Emulator);

            // The emulator cannot fetch example.invalid: that edit fails on fal (image_load_error).
            var r = ps.Run("$good, 'https://example.invalid/missing.png' | Invoke-SeedreamEdit -Prompt p", Vars(("good", good)));

            Assert.Single(r.Output);
            Assert.Single(r.Errors);
            var batch = r.Progress.Where(p => p.Activity == "Seedream edits").ToList();
            // "2 done (1 failed)", not "2 done, 1 failed" (which reads as three edits).
            Assert.Equal("2 done (1 failed)", batch.Single(p => p.RecordType == ProgressRecordType.Completed).StatusDescription);
            Assert.Contains(batch, p => p.StatusDescription.StartsWith("2 of 2 done (1 failed), ", StringComparison.Ordinal));
        }

        [Fact]
        public void Receive_with_wait_shows_the_wait_and_the_model_log_as_Wait_SeedreamJob_does()
        {
            using var dir = new TempDir();
            var image = TestImages.WritePng(dir.Path, "in.png");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("Submit-SeedreamJob -Prompt p -Image $image | Receive-SeedreamJob -Wait -Verbose", Vars(("image", image)));

            Assert.Empty(r.Errors);
            var id = (string)Assert.Single(r.Output).P("RequestId")!;
            var bar = r.Progress.Where(p => p.Activity == "Waiting for Seedream job").ToList();
            Assert.NotEmpty(bar);
            Assert.Single(bar, p => p.RecordType == ProgressRecordType.Completed);
            Assert.Contains(r.Verbose, v => v.Message.StartsWith($"[{id}] ", StringComparison.Ordinal));
        }

        [Fact]
        public void Waiting_for_several_jobs_shows_one_batch_bar_with_each_wait_under_it()
        {
            using var dir = new TempDir();
            var image = TestImages.WritePng(dir.Path, "in.png");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("1..3 | ForEach-Object { Submit-SeedreamJob -Prompt \"p $_\" -Image $image } | Wait-SeedreamJob", Vars(("image", image)));

            Assert.Empty(r.Errors);
            Assert.Equal(3, r.Output.Count);
            var batch = r.Progress.Where(p => p.Activity == "Seedream jobs").ToList();
            Assert.Single(batch.Select(p => p.ActivityId).Distinct());
            Assert.Equal("3 done", batch.Single(p => p.RecordType == ProgressRecordType.Completed).StatusDescription);
            var waits = r.Progress.Where(p => p.Activity == "Waiting for Seedream job").GroupBy(p => p.ActivityId).ToList();
            Assert.Equal(3, waits.Count);
            // Once the batch bar is up (from the second job on), each wait hangs under it and is closed once.
            Assert.All(waits, w => Assert.Single(w, p => p.RecordType == ProgressRecordType.Completed));
            Assert.Contains(waits, w => w.All(p => p.ParentActivityId == batch[0].ActivityId));
        }
    }
}
