using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Core.Tests.Emulated;
using Seedream.Protocol;
using Seedream.Workflow;
using Xunit;

namespace Seedream.Core.Tests.Workflow;

/// <summary>What a test needs to run edits through <see cref="EditWorkflow"/>: a temp folder, inputs, a journal.</summary>
public abstract class WorkflowTestBase : IDisposable
{
    protected static readonly EndpointId Seedream = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
    protected readonly string Dir = Path.Combine(Path.GetTempPath(), "seedream-workflow-" + Guid.NewGuid().ToString("N"));

    protected WorkflowTestBase() => Directory.CreateDirectory(Dir);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    protected static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    protected EditSpec Spec(string inputImage, string prompt = "make it blue", IDictionary<string, object?>? extra = null) =>
        Spec(new[] { new ResolvedImage { Url = inputImage } }, prompt, extra);

    protected static EditSpec Spec(IReadOnlyList<ResolvedImage> images, string prompt = "make it blue", IDictionary<string, object?>? extra = null) =>
        new(Seedream, new EditRequest { Prompt = prompt, AdditionalInput = extra == null ? null : new Dictionary<string, object?>(extra) }, images);

    protected ResolvedImage LocalPng(string name)
    {
        var path = Path.Combine(Dir, name);
        var bytes = EmulatorFixtureBase.Png(16, 16);
        System.IO.File.WriteAllBytes(path, bytes);
        return new ResolvedImage { Path = path, Length = bytes.Length, ContentType = "image/png" };
    }

    protected string Folder(string name)
    {
        var path = Path.Combine(Dir, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Everything in a folder, dot files (the writer's temp files) included.</summary>
    protected static string[] Contents(string folder) => Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories);

    /// <summary>A journal slot for one edit, claimed as the module claims it.</summary>
    protected static JournalSlot Claim(EditJournal journal, string fingerprint)
    {
        var (n, entry) = journal.Claim(fingerprint);
        return new JournalSlot(journal, fingerprint, n, entry);
    }

    protected static JournalEntry EntryOf(string journalPath, string fingerprint) =>
        Assert.Single(EditJournal.Read(journalPath).Entries, e => e.Fingerprint == fingerprint);

    /// <summary>Collects what an edit reports.</summary>
    protected sealed class Recorder
    {
        public readonly ConcurrentQueue<string> Verbose = new();
        public readonly ConcurrentQueue<string> Warnings = new();
        public readonly ConcurrentQueue<JobStatus> Updates = new();
        public readonly ConcurrentQueue<Job> Submitted = new();

        public EditEvents Events => new()
        {
            Verbose = Verbose.Enqueue,
            Warning = Warnings.Enqueue,
            StatusUpdate = Updates.Enqueue,
            Submitted = Submitted.Enqueue,
        };
    }
}

/// <summary>Edits start to finish through the workflow against the in-process emulator: no PowerShell anywhere.</summary>
public sealed class EditWorkflowTests : WorkflowTestBase, IClassFixture<FastEmulatorFixture>
{
    private readonly FastEmulatorFixture _f;

    public EditWorkflowTests(FastEmulatorFixture f) => _f = f;

    [Fact]
    public async Task An_edit_uploads_its_input_once_submits_waits_and_saves_its_images()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client);
        var input = LocalPng("cat.png");
        var outFolder = Folder("out");
        var initiated = _f.Route("storage.initiate");
        var submitted = _f.Emulator.GetStats().Submitted;
        var recorder = new Recorder();

        // Two edits of the same local file at once: one upload serves both.
        var outcomes = await Task.WhenAll(
            workflow.EditAsync(Spec(new[] { input }, "first"), null, outFolder, recorder.Events, Timeout()),
            workflow.EditAsync(Spec(new[] { input }, "second"), null, outFolder, recorder.Events, Timeout()));

        Assert.Equal(1, workflow.Uploads);
        Assert.Equal(initiated + 1, _f.Route("storage.initiate"));
        Assert.Equal(submitted + 2, _f.Emulator.GetStats().Submitted);
        Assert.Equal(2, recorder.Submitted.Count);
        foreach (var outcome in outcomes)
        {
            var result = outcome.Result;
            Assert.False(outcome.Replayed);
            Assert.Empty(outcome.SaveErrors);
            Assert.Contains(recorder.Submitted, j => j.RequestId == result.RequestId);
            Assert.Equal(new[] { input.Path }, result.InputImages);
            Assert.True(result.Duration > 0);
            Assert.True(result.InferenceTime > 0);
            var image = Assert.Single(result.Images);
            Assert.NotNull(image.LocalPath);
            Assert.Equal(outFolder, Path.GetDirectoryName(image.LocalPath));
            Assert.Equal(result.RequestId + "-0.png", Path.GetFileName(image.LocalPath));
            var (w, h) = Png.Size(System.IO.File.ReadAllBytes(image.LocalPath!));
            Assert.True(w > 0 && h > 0);
            // What the emulator ran is what was asked for, with the uploaded URL, not the local path.
            var info = await _f.JobInfoAsync(result.RequestId);
            Assert.Equal(result.Prompt, info.GetProperty("input").GetProperty("prompt").GetString());
            Assert.StartsWith("http", info.GetProperty("input").GetProperty("image_urls")[0].GetString());
        }
        Assert.Equal(2, Contents(outFolder).Length);
        Assert.Contains(recorder.Updates, s => s.IsCompleted);
        Assert.Contains(recorder.Verbose, m => m.StartsWith("Submitted request "));
    }

    [Fact]
    public async Task Polling_instead_of_the_stream_reads_the_status_and_never_opens_the_stream()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client, new EditWorkflowOptions { UseStream = false });
        long streams = _f.Route("stream"), polls = _f.Route("status");
        var outcome = await workflow.EditAsync(Spec(_f.InputImage), null, null, null, Timeout());
        Assert.Single(outcome.Result.Images);
        Assert.Null(outcome.Result.Images[0].LocalPath);
        Assert.Equal(streams, _f.Route("stream"));
        Assert.True(_f.Route("status") > polls);
    }

    [Fact]
    public async Task A_sync_run_returns_the_result_without_the_queue()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client, new EditWorkflowOptions { Sync = true });
        long runs = _f.Route("run"), submits = _f.Route("submit");
        var result = await workflow.RunAsync(Spec(_f.InputImage), null, null, Timeout());
        Assert.Single(result.Images);
        Assert.Equal(runs + 1, _f.Route("run"));
        Assert.Equal(submits, _f.Route("submit"));
        Assert.True(result.Duration > 0);
    }

    [Fact]
    public async Task A_failed_job_is_replayed_as_the_models_own_error_and_journaled_as_failed()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client);
        var journalPath = Path.Combine(Dir, "fail.journal");
        FalApiException ex;
        using (var journal = EditJournal.Open(journalPath))
        {
            // The workflow leaves checks to its caller: a raw override reaches the model's own validation.
            var spec = Spec(_f.InputImage, extra: new Dictionary<string, object?> { ["num_images"] = 9 });
            ex = await Assert.ThrowsAsync<FalApiException>(() => workflow.EditAsync(spec, Claim(journal, "fp-fail"), Folder("none"), null, Timeout()));
        }
        Assert.Equal(FalErrorKind.Validation, ex.Kind);
        Assert.NotNull(ex.RequestId);
        Assert.Equal("num_images", Assert.Single(ex.ValidationErrors).Field);
        var entry = EntryOf(journalPath, "fp-fail");
        Assert.Equal(JournalState.Failed, entry.State);
        Assert.Equal(ex.RequestId, entry.RequestId);
        Assert.Empty(Contents(Path.Combine(Dir, "none")));

        // Receiving the same job later replays the same error, whether its status is known or not.
        var job = new JobRef(Seedream, ex.RequestId!);
        var again = await Assert.ThrowsAsync<FalApiException>(() => workflow.ReceiveAsync(job, new ReceiveOptions(), Timeout()));
        Assert.Equal(FalErrorKind.Validation, again.Kind);
        Assert.Equal(ex.RequestId, again.RequestId);
        var known = await Assert.ThrowsAsync<FalApiException>(() => workflow.ReceiveAsync(job, new ReceiveOptions { KnownStatus = JobStatus.Completed }, Timeout()));
        Assert.Equal(FalErrorKind.Validation, known.Kind);
    }

    [Fact]
    public async Task Receive_fetches_a_submitted_jobs_result_with_its_prompt_and_inputs()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client);
        var submitted = await workflow.SubmitAsync(Spec(_f.InputImage, "receive me"), null, null, Timeout());
        Assert.False(submitted.FromJournal);
        Assert.Equal("receive me", submitted.Job.Prompt);
        var result = await workflow.ReceiveAsync(JobRef.From(submitted.Job), new ReceiveOptions { Wait = true, Prompt = "receive me", InputImages = new[] { "a.png" } }, Timeout());
        Assert.Equal(submitted.Job.RequestId, result.RequestId);
        Assert.Equal("receive me", result.Prompt);
        Assert.Equal(new[] { "a.png" }, result.InputImages);
        Assert.True(result.InferenceTime > 0);
        Assert.Single(result.Images);
    }

    [Fact]
    public async Task A_journaled_submit_then_edit_then_rerun_pays_once()
    {
        using var client = _f.NewClient();
        var journalPath = Path.Combine(Dir, "batch.journal");
        var outFolder = Folder("journaled");
        var spec = Spec(_f.InputImage, "pay once");
        var submits = _f.Route("submit");

        // Run 1 submits and stops there (Submit-SeedreamJob's part).
        string requestId;
        using (var journal = EditJournal.Open(journalPath))
        {
            var first = await new EditWorkflow(client).SubmitAsync(spec, Claim(journal, "fp"), null, Timeout());
            Assert.False(first.FromJournal);
            requestId = first.Job.RequestId;
        }
        Assert.Equal(JournalState.Submitted, EntryOf(journalPath, "fp").State);

        // Submitting again finds the job in the journal: nothing new is sent.
        using (var journal = EditJournal.Open(journalPath))
        {
            var again = await new EditWorkflow(client).SubmitAsync(spec, Claim(journal, "fp"), null, Timeout());
            Assert.True(again.FromJournal);
            Assert.Equal(requestId, again.Job.RequestId);
        }
        Assert.Equal(submits + 1, _f.Route("submit"));

        // Run 2 re-attaches to that job, collects and saves it, and the journal records it completed.
        var recorder = new Recorder();
        EditOutcome collected;
        using (var journal = EditJournal.Open(journalPath))
            collected = await new EditWorkflow(client).EditAsync(spec, Claim(journal, "fp"), outFolder, recorder.Events, Timeout());
        Assert.Equal(requestId, collected.Result.RequestId);
        Assert.False(collected.Replayed);
        Assert.Empty(recorder.Submitted);
        Assert.Contains(recorder.Verbose, m => m.Contains("re-attached from the journal"));
        Assert.Equal(submits + 1, _f.Route("submit"));
        var saved = collected.Result.Images[0].LocalPath!;
        Assert.True(System.IO.File.Exists(saved));
        var entry = EntryOf(journalPath, "fp");
        Assert.Equal(JournalState.Completed, entry.State);
        Assert.Equal(new[] { saved }, entry.SavedPaths);

        // Run 3 replays it: no submit, no result fetch, no download.
        long results = _f.Route("result");
        recorder = new Recorder();
        EditOutcome replayed;
        using (var journal = EditJournal.Open(journalPath))
            replayed = await new EditWorkflow(client).EditAsync(spec, Claim(journal, "fp"), outFolder, recorder.Events, Timeout());
        Assert.True(replayed.Replayed);
        Assert.Equal(requestId, replayed.Result.RequestId);
        Assert.Equal(saved, replayed.Result.Images[0].LocalPath);
        Assert.Equal(results, _f.Route("result"));
        Assert.Equal(submits + 1, _f.Route("submit"));
        Assert.Single(Contents(outFolder));
        Assert.Contains(recorder.Verbose, m => m.Contains("taken from the journal"));

        // Once the saved file is gone, the replay downloads only that image again.
        System.IO.File.Delete(saved);
        using (var journal = EditJournal.Open(journalPath))
            replayed = await new EditWorkflow(client).EditAsync(spec, Claim(journal, "fp"), outFolder, null, Timeout());
        Assert.True(replayed.Replayed);
        Assert.True(System.IO.File.Exists(replayed.Result.Images[0].LocalPath));
        Assert.Equal(submits + 1, _f.Route("submit"));
    }

    [Fact]
    public async Task A_journaled_job_that_fal_no_longer_knows_is_submitted_again_with_a_warning()
    {
        using var client = _f.NewClient();
        var journalPath = Path.Combine(Dir, "stale.journal");
        var spec = Spec(_f.InputImage, "stale");
        using (var journal = EditJournal.Open(journalPath))
            await Claim(journal, "fp").RecordSubmittedAsync(new Job { RequestId = Guid.NewGuid().ToString(), Endpoint = Seedream.Full });
        var recorder = new Recorder();
        EditOutcome outcome;
        using (var journal = EditJournal.Open(journalPath))
            outcome = await new EditWorkflow(client).EditAsync(spec, Claim(journal, "fp"), null, recorder.Events, Timeout());
        Assert.Single(recorder.Submitted);
        Assert.Contains(recorder.Warnings, w => w.Contains("is unknown to fal"));
        Assert.Equal(recorder.Submitted.Single().RequestId, outcome.Result.RequestId);
    }
}

/// <summary>Timeouts and unfinished jobs: one runner and slow jobs, so a job really is still running.</summary>
public sealed class EditWorkflowTimeoutTests : WorkflowTestBase, IClassFixture<QueueingEmulatorFixture>
{
    private readonly QueueingEmulatorFixture _f;

    public EditWorkflowTimeoutTests(QueueingEmulatorFixture f) => _f = f;

    [Fact]
    public async Task A_timeout_cancels_the_remote_request_and_names_the_limit()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client, new EditWorkflowOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var ex = await Assert.ThrowsAsync<FalWaitTimeoutException>(() => workflow.EditAsync(Spec(_f.InputImage), null, null, null, Timeout()));
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Timeout);
        Assert.Contains("the remote request was cancelled", ex.Message);
        Assert.Equal("cancelled", await _f.OutcomeAsync(ex.RequestId));
    }

    [Fact]
    public async Task A_journaled_timeout_leaves_the_job_running_and_a_rerun_collects_it()
    {
        using var client = _f.NewClient();
        var journalPath = Path.Combine(Dir, "timeout.journal");
        var spec = Spec(_f.InputImage, "slow");
        FalWaitTimeoutException ex;
        using (var journal = EditJournal.Open(journalPath))
        {
            var workflow = new EditWorkflow(client, new EditWorkflowOptions { Timeout = TimeSpan.FromMilliseconds(300) });
            ex = await Assert.ThrowsAsync<FalWaitTimeoutException>(() => workflow.EditAsync(spec, Claim(journal, "fp"), null, null, Timeout()));
        }
        Assert.Contains(journalPath, ex.Message);
        Assert.False((await _f.JobInfoAsync(ex.RequestId)).GetProperty("cancelRequested").GetBoolean());
        var entry = EntryOf(journalPath, "fp");
        Assert.Equal(JournalState.Submitted, entry.State);
        Assert.Equal(ex.RequestId, entry.RequestId);

        var submits = _f.Route("submit");
        EditOutcome outcome;
        using (var journal = EditJournal.Open(journalPath))
            outcome = await new EditWorkflow(client).EditAsync(spec, Claim(journal, "fp"), null, null, Timeout());
        Assert.Equal(ex.RequestId, outcome.Result.RequestId);
        Assert.Equal(submits, _f.Route("submit"));
        Assert.Equal("ok", await _f.OutcomeAsync(ex.RequestId));
    }

    [Fact]
    public async Task Receiving_a_job_that_is_still_running_is_refused_as_not_completed()
    {
        using var client = _f.NewClient();
        var workflow = new EditWorkflow(client);
        var job = JobRef.From((await workflow.SubmitAsync(Spec(_f.InputImage), null, null, Timeout())).Job);
        try
        {
            var ex = await Assert.ThrowsAsync<JobNotCompletedException>(() => workflow.ReceiveAsync(job, new ReceiveOptions(), Timeout()));
            Assert.Equal(job.RequestId, ex.RequestId);
            Assert.NotEqual(JobStatus.Completed, ex.Status);
        }
        finally
        {
            await client.CancelAsync(job, Timeout());
        }
    }

    [Fact]
    public async Task Stopping_an_edit_cancels_its_remote_request_unless_it_is_journaled()
    {
        using var client = _f.NewClient();
        var recorder = new Recorder();
        using (var stop = new CancellationTokenSource())
        {
            var edit = new EditWorkflow(client).EditAsync(Spec(_f.InputImage, "stop me"), null, null, recorder.Events, stop.Token);
            await WaitForAsync(() => !recorder.Submitted.IsEmpty);
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => edit);
        }
        Assert.Equal("cancelled", await _f.OutcomeAsync(recorder.Submitted.Single().RequestId));

        var journalPath = Path.Combine(Dir, "stop.journal");
        using (var journal = EditJournal.Open(journalPath))
        using (var stop = new CancellationTokenSource())
        {
            var slot = new WatchedSlot(Claim(journal, "fp"));
            var edit = new EditWorkflow(client).EditAsync(Spec(_f.InputImage, "keep me"), slot, null, null, stop.Token);
            // The id is durable in the journal before the wait begins.
            await slot.Submitted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => edit);
        }
        var kept = EntryOf(journalPath, "fp");
        Assert.Equal(JournalState.Submitted, kept.State);
        Assert.False((await _f.JobInfoAsync(kept.RequestId!)).GetProperty("cancelRequested").GetBoolean());
        await client.CancelAsync(new JobRef(Seedream, kept.RequestId!), Timeout());
    }

    /// <summary>Any store can stand behind the workflow's journal hooks: this one passes them on and says when the id was recorded.</summary>
    private sealed class WatchedSlot : IEditJournalSlot
    {
        private readonly IEditJournalSlot _inner;
        public WatchedSlot(IEditJournalSlot inner) => _inner = inner;
        public TaskCompletionSource<Job> Submitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public JournalEntry? Entry => _inner.Entry;
        public string JournalPath => _inner.JournalPath;
        public Task RecordSubmittingAsync(string endpoint, string? prompt, IReadOnlyList<string> inputImages) => _inner.RecordSubmittingAsync(endpoint, prompt, inputImages);
        public async Task RecordSubmittedAsync(Job job)
        {
            await _inner.RecordSubmittedAsync(job);
            Submitted.TrySetResult(job);
        }
        public Task RecordCompletedAsync(EditResult result) => _inner.RecordCompletedAsync(result);
        public Task RecordFailedAsync(string? requestId, string error) => _inner.RecordFailedAsync(requestId, error);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true.");
            await Task.Delay(10);
        }
    }
}
