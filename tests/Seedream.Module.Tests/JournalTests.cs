using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// -Journal: reruns replay completed edits, re-attach to submitted ones and submit the rest;
    /// every test has its own emulator, so /_emulator/stats counts only what the test did.
    /// </summary>
    public class JournalTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "sdjt-" + Guid.NewGuid().ToString("N"));
        public JournalTests() => Directory.CreateDirectory(_dir);
        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private static Task<FalEmulator> Emulator(int processingMs = 150, int runners = 8) =>
            FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = processingMs, Runners = runners, RequireKey = EmulatorFixture.Key, PingMs = 100 });

        private string Journal => Path.Combine(_dir, "batch.jsonl");

        private Dictionary<string, object?> Vars(object? extra = null) => new Dictionary<string, object?> { ["img"] = TestImages.DataUri, ["journal"] = Journal, ["out"] = Path.Combine(_dir, "out") };

        private const string Rows = "$rows = 1..{0} | ForEach-Object {{ [pscustomobject]@{{ Prompt = \"edit $_\"; Image = $img }} }}; ";

        /// <summary>The ErrorId of a command's terminating error: script-terminating, or statement-terminating (then in the error stream).</summary>
        private static string? TerminatingId(PsResult r) =>
            (r.Terminating?.ErrorRecord.FullyQualifiedErrorId ?? r.Errors.SingleOrDefault()?.FullyQualifiedErrorId)?.Split(',')[0];

        private static string[] Ids(PsResult r) => r.Output.Select(o => (string)o.P("RequestId")!).OrderBy(x => x, StringComparer.Ordinal).ToArray();

        [Fact]
        public async Task A_rerun_of_a_finished_batch_submits_nothing_and_downloads_nothing()
        {
            await using var emu = await Emulator();
            using var ps = new PsHost(emu);
            var script = string.Format(Rows, 6) + "$rows | Invoke-SeedreamEdit -Journal $journal -OutFolder $out -ThrottleLimit 3";
            var first = ps.Run(script, Vars());
            Assert.Empty(first.Errors);
            Assert.Equal(6, first.Output.Count);
            var before = emu.GetStats();
            Assert.Equal(6, before.Submitted);

            var second = ps.Run(script + " -Ordered", Vars());
            Assert.Empty(second.Errors);
            Assert.Null(second.Terminating);
            var after = emu.GetStats();
            Assert.Equal(6, after.Submitted);
            Assert.Equal(before.RequestsByRoute.GetValueOrDefault("file"), after.RequestsByRoute.GetValueOrDefault("file"));
            Assert.Equal(before.RequestsByRoute.Values.Sum(), after.RequestsByRoute.Values.Sum());
            Assert.Equal(Ids(first), Ids(second));
            // Same order rules as a live run: -Ordered gives input order.
            Assert.Equal(Enumerable.Range(1, 6).Select(i => "edit " + i), second.Output.Select(o => (string)o.P("Prompt")!));
            Assert.All(second.Output, o => Assert.True(System.IO.File.Exists((string)PSObject.AsPSObject(o.Items("Images")[0]!).P("LocalPath")!)));
            Assert.Equal("Seedream.EditResult", second.Output[0].TypeNames[0]);
        }

        [Fact]
        public async Task Identical_rows_are_separate_edits_and_a_changed_row_is_a_new_one()
        {
            await using var emu = await Emulator();
            using var ps = new PsHost(emu);
            // Three variations of one prompt, and one other edit.
            const string rows = "$rows = @('same', 'same', 'same', 'other') | ForEach-Object { [pscustomobject]@{ Prompt = $_; Image = $img } }; ";
            var first = ps.Run(rows + "$rows | Invoke-SeedreamEdit -Journal $journal", Vars());
            Assert.Empty(first.Errors);
            Assert.Equal(4, emu.GetStats().Submitted);
            Assert.Equal(4, Ids(first).Distinct().Count());

            var again = ps.Run(rows + "$rows | Invoke-SeedreamEdit -Journal $journal", Vars());
            Assert.Empty(again.Errors);
            Assert.Equal(4, emu.GetStats().Submitted);
            Assert.Equal(Ids(first), Ids(again));

            // A fourth variation and an edited row: exactly those two are new.
            var changed = ps.Run("$rows = @('same', 'same', 'same', 'same', 'other, edited') | ForEach-Object { [pscustomobject]@{ Prompt = $_; Image = $img } }; $rows | Invoke-SeedreamEdit -Journal $journal", Vars());
            Assert.Empty(changed.Errors);
            Assert.Equal(6, emu.GetStats().Submitted);
            Assert.Equal(3, Ids(changed).Intersect(Ids(first)).Count());

            var info = ps.Run("Get-SeedreamJournal $journal", Vars()).Single("Seedream.JournalInfo");
            Assert.Equal(6, info.P<int>("Total"));
            Assert.Equal(6, info.P<int>("Completed"));
            Assert.Equal("Seedream.JournalInfo", info.TypeNames[0]);
        }

        [Fact]
        public async Task The_same_image_under_another_path_is_the_same_edit()
        {
            await using var emu = await Emulator();
            using var ps = new PsHost(emu);
            var png = Convert.FromBase64String(TestImages.PngBase64);
            System.IO.File.WriteAllBytes(Path.Combine(_dir, "a.png"), png);
            System.IO.File.WriteAllBytes(Path.Combine(_dir, "copy-of-a.png"), png);
            var vars = Vars();
            vars["a"] = Path.Combine(_dir, "a.png");
            vars["b"] = Path.Combine(_dir, "copy-of-a.png");
            Assert.Empty(ps.Run("Invoke-SeedreamEdit -Prompt p -Image $a -Journal $journal", vars).Errors);
            var again = ps.Run("Invoke-SeedreamEdit -Prompt p -Image $b -Journal $journal", vars);
            Assert.Empty(again.Errors);
            Assert.Equal(1, emu.GetStats().Submitted);
            // The replayed result names the input of this run.
            Assert.EndsWith("copy-of-a.png", (string)again.Output.Single().Items("InputImages")[0]!);
        }

        [Fact]
        public async Task CtrlC_with_a_journal_leaves_jobs_running_and_the_rerun_collects_them()
        {
            await using var emu = await Emulator(processingMs: 1500);
            using var ps = new PsHost(emu);
            var script = string.Format(Rows, 8) + "$rows | Invoke-SeedreamEdit -Journal $journal -ThrottleLimit 4";
            var stopped = await ps.RunAndStopAsync(script, () => emu.GetStats().InProgress >= 4, Vars());
            Assert.IsAssignableFrom<PipelineStoppedException>(stopped.Terminating);
            var atStop = emu.GetStats();
            Assert.Equal(4, atStop.Submitted);
            Assert.Equal(0, atStop.RequestsByRoute.GetValueOrDefault("cancel"));
            Assert.Contains("keep running on fal", ps.HostText);

            var rerun = ps.Run(script, Vars());
            Assert.Empty(rerun.Errors);
            Assert.Equal(8, rerun.Output.Count);
            // A plain stop sent nothing it did not record: no edit looks ambiguous to the rerun.
            Assert.DoesNotContain(rerun.Warnings, w => w.Message.Contains("earlier run was sending"));
            var end = emu.GetStats();
            // The four stopped jobs were collected, not paid for again.
            Assert.Equal(8, end.Submitted);
            Assert.Equal(0, end.DuplicateJobs);
            Assert.Equal(0, end.Cancelled);
        }

        [Fact]
        public async Task CtrlC_without_a_journal_still_cancels_and_says_so()
        {
            await using var emu = await Emulator(processingMs: 1500);
            using var ps = new PsHost(emu);
            var stopped = await ps.RunAndStopAsync(string.Format(Rows, 8) + "$rows | Invoke-SeedreamEdit -ThrottleLimit 4", () => emu.GetStats().InProgress >= 4, Vars());
            Assert.IsAssignableFrom<PipelineStoppedException>(stopped.Terminating);
            Assert.Equal(4, emu.GetStats().RequestsByRoute.GetValueOrDefault("cancel"));
            Assert.Contains("cancelled on fal", ps.HostText);
        }

        [Fact]
        public async Task TimeoutSec_with_a_journal_keeps_the_job_for_the_rerun()
        {
            await using var emu = await Emulator(processingMs: 3000);
            using var ps = new PsHost(emu);
            var timedOut = ps.Run("Invoke-SeedreamEdit -Prompt slow -Image $img -Journal $journal -TimeoutSec 1", Vars());
            var e = Assert.Single(timedOut.Errors);
            Assert.Equal("SeedreamWaitTimeout", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("keeps running on fal", e.Exception.Message);
            Assert.Equal(0, emu.GetStats().RequestsByRoute.GetValueOrDefault("cancel"));
            var rerun = ps.Run("Invoke-SeedreamEdit -Prompt slow -Image $img -Journal $journal", Vars());
            Assert.Empty(rerun.Errors);
            Assert.Single(rerun.Output);
            Assert.Equal(1, emu.GetStats().Submitted);
        }

        [Fact]
        public async Task Submit_with_a_journal_then_Invoke_collects_the_same_jobs()
        {
            await using var emu = await Emulator();
            using var ps = new PsHost(emu);
            var script = string.Format(Rows, 5);
            var jobs = ps.Run(script + "$rows | Submit-SeedreamJob -Journal $journal", Vars());
            Assert.Empty(jobs.Errors);
            var again = ps.Run(script + "$rows | Submit-SeedreamJob -Journal $journal", Vars());
            Assert.Equal(Ids(jobs), Ids(again));
            Assert.Equal(5, emu.GetStats().Submitted);
            var results = ps.Run(script + "$rows | Invoke-SeedreamEdit -Journal $journal", Vars());
            Assert.Empty(results.Errors);
            Assert.Equal(Ids(jobs), Ids(results));
            Assert.Equal(5, emu.GetStats().Submitted);
        }

        [Fact]
        public async Task A_second_command_on_a_journal_in_use_fails_with_its_own_error()
        {
            await using var emu = await Emulator(processingMs: 1500);
            using var first = new PsHost(emu);
            using var second = new PsHost(emu);
            var running = first.RunAndStopAsync(string.Format(Rows, 4) + "$rows | Invoke-SeedreamEdit -Journal $journal", () => false, Vars(), TimeSpan.FromSeconds(30));
            for (var i = 0; i < 500 && emu.GetStats().Submitted == 0; i++) await Task.Delay(10);
            var r = second.Run("Invoke-SeedreamEdit -Prompt x -Image $img -Journal $journal", Vars());
            Assert.Equal("SeedreamJournalInUse", TerminatingId(r));
            var g = second.Run("Get-SeedreamJournal $journal", Vars());
            Assert.Equal("SeedreamJournalInUse", Assert.Single(g.ErrorIds));
            var done = await running;
            Assert.Equal(4, done.Output.Count);
            Assert.Equal(4, emu.GetStats().Submitted);
            Assert.Equal(4, second.Run("Get-SeedreamJournal $journal", Vars()).Single("Seedream.JournalInfo").P<int>("Completed"));
        }

        [Fact]
        public async Task Damaged_and_foreign_journals_are_refused_and_left_as_they_are()
        {
            await using var emu = await Emulator();
            using var ps = new PsHost(emu);
            Assert.Empty(ps.Run(string.Format(Rows, 3) + "$rows | Invoke-SeedreamEdit -Journal $journal", Vars()).Errors);
            var lines = System.IO.File.ReadAllLines(Journal);
            lines[1] = "{\"op\":\"subm";
            System.IO.File.WriteAllLines(Journal, lines);
            var damaged = System.IO.File.ReadAllText(Journal);
            var r = ps.Run(string.Format(Rows, 3) + "$rows | Invoke-SeedreamEdit -Journal $journal", Vars());
            Assert.Equal("SeedreamJournalDamaged", TerminatingId(r));
            Assert.Equal(damaged, System.IO.File.ReadAllText(Journal));
            Assert.Equal("SeedreamJournalDamaged", Assert.Single(ps.Run("Get-SeedreamJournal $journal", Vars()).ErrorIds));

            var csv = Path.Combine(_dir, "edits.csv");
            System.IO.File.WriteAllText(csv, "prompt,image_urls\nx,y\n");
            var vars = Vars();
            vars["journal"] = csv;
            var foreign = ps.Run("Submit-SeedreamJob -Prompt x -Image $img -Journal $journal", vars);
            Assert.Equal("SeedreamJournalInvalid", TerminatingId(foreign));
            Assert.Equal("prompt,image_urls\nx,y\n", System.IO.File.ReadAllText(csv));
            Assert.Equal(3, emu.GetStats().Submitted);
        }

        [Fact]
        public async Task Get_SeedreamJournal_reports_states_and_entries()
        {
            await using var emu = await Emulator(processingMs: 1500);
            using var ps = new PsHost(emu);
            await ps.RunAndStopAsync(string.Format(Rows, 4) + "$rows | Invoke-SeedreamEdit -Journal $journal -ThrottleLimit 2", () => emu.GetStats().Completed >= 2 && emu.GetStats().InProgress >= 2, Vars());
            var info = ps.Run("Get-SeedreamJournal -Path $journal", Vars()).Single("Seedream.JournalInfo");
            Assert.Equal(2, info.P<int>("Completed"));
            Assert.Equal(2, info.P<int>("Submitted"));
            var entries = ps.Run("(Get-SeedreamJournal $journal).Entries | Where-Object State -eq Submitted", Vars());
            Assert.Equal(2, entries.Output.Count);
            Assert.All(entries.Output, e => Assert.False(string.IsNullOrEmpty((string)e.P("RequestId")!)));
            Assert.Equal("Seedream.JournalEntry", entries.Output[0].TypeNames[0]);
            var missing = ps.Run("Get-SeedreamJournal ./no-such-journal.jsonl");
            Assert.Equal("SeedreamJournalNotFound", Assert.Single(missing.ErrorIds));
        }

        /// <summary>
        /// A real kill -9: the batch runs in a child process (Seedream.ScriptHost, the engine hosted
        /// in its own process) and is killed half-way; the rerun here must deliver every edit while
        /// submitting at most ThrottleLimit edits a second time (the ones whose submit was on the wire).
        /// </summary>
        [Fact]
        public async Task A_batch_killed_half_way_is_finished_by_the_rerun_without_paying_twice()
        {
            if (OperatingSystem.IsWindows()) return;
            const int n = 40, throttle = 4;
            await using var emu = await Emulator(processingMs: 300, runners: 8);
            var scriptHost = Path.Combine(Paths.RepoRoot, "src", "Seedream.ScriptHost", "bin", AppContext.BaseDirectory.Contains(Path.DirectorySeparatorChar + "Release" + Path.DirectorySeparatorChar) ? "Release" : "Debug", "net10.0", "Seedream.ScriptHost.dll");
            Assert.True(System.IO.File.Exists(scriptHost), scriptHost + " is not built");
            var script = $"Import-Module '{Paths.ModuleManifest}'; $img = '{TestImages.DataUri}'; " + string.Format(Rows, n)
                + $"$rows | Invoke-SeedreamEdit -Journal '{Journal}' -ThrottleLimit {throttle} | Out-Null";
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(scriptHost);
            psi.ArgumentList.Add("-Command");
            psi.ArgumentList.Add(script);
            psi.Environment["FAL_KEY"] = EmulatorFixture.Key;
            psi.Environment["SEEDREAM_PROXY_URL"] = emu.ProxyUrl.AbsoluteUri;
            using var child = Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (emu.GetStats().Completed < n / 2 && !child.HasExited && DateTime.UtcNow < deadline) await Task.Delay(5);
            if (child.HasExited) Assert.Fail("the child finished before it could be killed: " + child.StandardError.ReadToEnd());
            child.Kill(); // SIGKILL on Unix: no handler, no flush, no cleanup runs.
            child.WaitForExit();
            var atKill = emu.GetStats();
            Assert.InRange(atKill.Submitted, n / 2, n - 1);

            using var ps = new PsHost(emu);
            var journal = ps.Run("Get-SeedreamJournal $journal", Vars()).Single("Seedream.JournalInfo");
            var ambiguous = journal.P<int>("Submitting");
            Assert.InRange(ambiguous, 0, throttle);
            Assert.True(journal.P<int>("Completed") >= 1);

            var rerun = ps.Run(string.Format(Rows, n) + $"$rows | Invoke-SeedreamEdit -Journal $journal -ThrottleLimit {throttle}", Vars());
            Assert.Empty(rerun.Errors);
            Assert.Equal(n, rerun.Output.Count);
            Assert.Equal(n, rerun.Output.Select(o => (string)o.P("Prompt")!).Distinct().Count());
            var end = emu.GetStats();
            // Every prompt is distinct, so a body that made two jobs is an edit paid twice: only the
            // ambiguous ones (submit on the wire at the kill) may have.
            Assert.InRange(end.Submitted, n, n + throttle);
            Assert.InRange(end.DuplicateJobs, 0, ambiguous);
            Assert.Equal(end.Submitted - n, end.DuplicateJobs);
            Assert.Equal(n, ps.Run("Get-SeedreamJournal $journal", Vars()).Single("Seedream.JournalInfo").P<int>("Completed"));
        }
    }
}
