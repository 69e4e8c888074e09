using System.Diagnostics;
using Seedream.Storage;

namespace Seedream.Workflow
{
    /// <summary>One edit ready to send: the parsed endpoint, the validated request, its checked input images and submit options.</summary>
    public sealed class EditSpec
    {
        public EditSpec(EndpointId endpoint, EditRequest request, IReadOnlyList<ResolvedImage> images, SubmitOptions? submitOptions = null)
        {
            Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
            Request = request ?? throw new ArgumentNullException(nameof(request));
            Images = images ?? Array.Empty<ResolvedImage>();
            SubmitOptions = submitOptions ?? new SubmitOptions();
        }

        public EndpointId Endpoint { get; }
        public EditRequest Request { get; }
        public IReadOnlyList<ResolvedImage> Images { get; }
        public SubmitOptions SubmitOptions { get; }
        /// <summary>The inputs as results name them (<see cref="EditResult.InputImages"/>).</summary>
        public string[] InputLabels => Images.Select(i => i.Label).ToArray();
    }

    /// <summary>How a batch of edits runs; one set per <see cref="EditWorkflow"/>.</summary>
    public sealed class EditWorkflowOptions
    {
        /// <summary>Send local files inline as data URIs instead of uploading them.</summary>
        public bool InlineImages { get; set; }
        /// <summary>Run on fal.run synchronously instead of through the queue.</summary>
        public bool Sync { get; set; }
        /// <summary>Follow the status stream (default) instead of polling.</summary>
        public bool UseStream { get; set; } = true;
        /// <summary>Give up on each edit after this long (from its start, uploads included); the remote request is cancelled unless journaled.</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>File names for saving into a folder.</summary>
        public NameTemplate NameTemplate { get; set; } = NameTemplate.Parse(NameTemplate.Default);
        /// <summary>Refuse result images larger than this.</summary>
        public long MaxImageBytes { get; set; } = ImageWriter.DefaultMaximumBytes;
    }

    /// <summary>What an edit reports while it runs (called on worker threads); every member is optional.</summary>
    public sealed class EditEvents
    {
        public static readonly EditEvents None = new EditEvents();

        public Action<string>? Verbose { get; set; }
        public Action<string>? Warning { get; set; }
        /// <summary>Every status reading while waiting.</summary>
        public Action<JobStatus>? StatusUpdate { get; set; }
        /// <summary>fal accepted the request (not called for jobs taken from a journal).</summary>
        public Action<Job>? Submitted { get; set; }

        internal void Say(string message) => Verbose?.Invoke(message);
        internal void Warn(string message) => Warning?.Invoke(message);
    }

    /// <summary>A finished edit: its result, the images that could not be saved, and whether the journal supplied it.</summary>
    public sealed class EditOutcome(EditResult result, IReadOnlyList<SaveError> saveErrors, bool replayed)
    {
        public EditResult Result { get; } = result;
        public IReadOnlyList<SaveError> SaveErrors { get; } = saveErrors;
        /// <summary>Taken from the journal: nothing was submitted.</summary>
        public bool Replayed { get; } = replayed;
    }

    /// <summary>A submitted job, or the one an earlier run submitted (<see cref="FromJournal"/>).</summary>
    public sealed class SubmitOutcome(Job job, bool fromJournal)
    {
        public Job Job { get; } = job;
        public bool FromJournal { get; } = fromJournal;
    }

    /// <summary>How to collect a job's result.</summary>
    public sealed class ReceiveOptions
    {
        /// <summary>Wait for the job to complete first, instead of refusing one that has not.</summary>
        public bool Wait { get; set; }
        /// <summary>The status already known (e.g. COMPLETED from a wait); saves a status call.</summary>
        public string? KnownStatus { get; set; }
        /// <summary>Carried into the result, so it names its prompt and inputs.</summary>
        public string? Prompt { get; set; }
        public string[]? InputImages { get; set; }
        /// <summary>With <see cref="Wait"/>: every status reading (with model logs), on a worker thread.</summary>
        public Action<JobStatus>? OnUpdate { get; set; }
    }

    /// <summary>The request is still queued or running.</summary>
    public sealed class JobNotCompletedException : Exception
    {
        public JobNotCompletedException(string requestId, string status)
            : base($"Request {requestId} has not completed yet (status {status}). Wait for it with Wait-SeedreamJob, or use Receive-SeedreamJob -Wait.")
        {
            RequestId = requestId;
            Status = status;
        }

        public string RequestId { get; }
        public string Status { get; }
    }

    /// <summary>
    /// The edit workflow, without PowerShell: upload inputs, submit, wait (stream or poll, with a
    /// timeout), replay a failed status as its full error, fetch and parse the result, save its
    /// images atomically, and keep a journal (through <see cref="IEditJournalSlot"/>) so a rerun
    /// follows submitted jobs and replays finished ones instead of paying again. Failures are typed
    /// exceptions (<see cref="FalApiException"/>, <see cref="FalWaitTimeoutException"/>,
    /// <see cref="JobNotCompletedException"/>, and for saves <see cref="ImageSaveException"/> /
    /// <see cref="FalDownloadException"/>); hosts map them to their own errors. One instance per batch:
    /// it shares uploads and saved names between the batch's edits, which may run concurrently.
    /// </summary>
    public sealed class EditWorkflow
    {
        private readonly UploadCache _uploads = new UploadCache();
        // Saving into a folder never fails on a name clash (rows that share an input image, files
        // of an earlier run): each image gets the next free name instead, and nothing is overwritten.
        private readonly UniqueNames _names = new UniqueNames();

        public EditWorkflow(FalClient client, EditWorkflowOptions? options = null)
        {
            Client = client ?? throw new ArgumentNullException(nameof(client));
            Options = options ?? new EditWorkflowOptions();
        }

        public FalClient Client { get; }
        public EditWorkflowOptions Options { get; }

        /// <summary>Local files uploaded so far by this batch (each once).</summary>
        public int Uploads => _uploads.Count;

        /// <summary>
        /// One edit start to finish: replayed from the journal when an earlier run completed it,
        /// else followed (a job an earlier run submitted) or submitted, waited for and received;
        /// then its images saved into <paramref name="outFolder"/> when given, and the journal told.
        /// </summary>
        public async Task<EditOutcome> EditAsync(EditSpec edit, IEditJournalSlot? slot, string? outFolder, EditEvents? events, CancellationToken ct)
        {
            events ??= EditEvents.None;
            if (slot?.Entry?.State == JournalState.Completed) return await ReplayAsync(edit, slot, outFolder, events, ct).ConfigureAwait(false);
            var result = await RunAsync(edit, slot, events, ct).ConfigureAwait(false);
            IReadOnlyList<SaveError> saveErrors = Array.Empty<SaveError>();
            if (outFolder != null) saveErrors = await SaveAsync(result, outFolder, ct).ConfigureAwait(false);
            // Recorded after saving, with the saved paths. Nothing later relies on this record, so
            // the edit does not wait for its fsync (closing the journal does): a kill before it is
            // durable costs a rerun only a status read and a result fetch of a job already paid for.
            if (slot != null) Observe(slot.RecordCompletedAsync(result), events);
            return new EditOutcome(result, saveErrors, replayed: false);
        }

        /// <summary>Saves a result's images into <paramref name="folder"/> (free names, never overwriting); the saved ones get LocalPath.</summary>
        public Task<IReadOnlyList<SaveError>> SaveAsync(EditResult result, string folder, CancellationToken ct) =>
            new ImageWriter(Client, Options.NameTemplate, force: false, Options.MaxImageBytes, _names).SaveResultAsync(result, folder, null, ct);

        private static void Observe(Task write, EditEvents events) =>
            write.ContinueWith(t => events.Warn("The journal could not record a completed edit: " + t.Exception!.InnerException!.Message), TaskContinuationOptions.OnlyOnFaulted);

        /// <summary>A result the journal already holds: returned again, nothing submitted, saved images not downloaded again.</summary>
        private async Task<EditOutcome> ReplayAsync(EditSpec edit, IEditJournalSlot slot, string? outFolder, EditEvents events, CancellationToken ct)
        {
            var entry = slot.Entry!;
            var result = EditResultParser.Parse(entry.ResultJson!, entry.RequestId!, edit.Endpoint.Full, edit.Request.Prompt);
            result.InferenceTime = entry.InferenceTime;
            result.Duration = entry.Duration;
            result.InputImages = edit.InputLabels;
            for (var i = 0; i < result.Images.Length && i < entry.SavedPaths.Length; i++)
            {
                var saved = entry.SavedPaths[i];
                if (saved != null && System.IO.File.Exists(saved)) result.Images[i].LocalPath = saved;
            }
            IReadOnlyList<SaveError> saveErrors = Array.Empty<SaveError>();
            var missing = result.Images.Where(im => im.LocalPath == null).ToArray();
            if (outFolder != null && missing.Length > 0)
            {
                // Only what is not on disk yet is downloaded; the journal then learns the new paths.
                var part = new EditResult { RequestId = result.RequestId, Endpoint = result.Endpoint, Prompt = result.Prompt, Seed = result.Seed, InputImages = result.InputImages, Images = missing, RawJson = result.RawJson };
                saveErrors = await SaveAsync(part, outFolder, ct).ConfigureAwait(false);
                if (missing.Any(im => im.LocalPath != null)) await slot.RecordCompletedAsync(result).ConfigureAwait(false);
            }
            events.Say($"Request {result.RequestId}: result taken from the journal (nothing submitted).");
            return new EditOutcome(result, saveErrors, replayed: true);
        }

        /// <summary>
        /// Submits (or, when the journal holds a job an earlier run submitted, follows) the edit,
        /// waits for it and returns its result; with <see cref="EditWorkflowOptions.Sync"/>, one
        /// synchronous call instead. Nothing is saved.
        /// </summary>
        public async Task<EditResult> RunAsync(EditSpec edit, IEditJournalSlot? slot, EditEvents? events, CancellationToken ct)
        {
            events ??= EditEvents.None;
            var clock = Stopwatch.StartNew();
            if (slot?.Entry?.State == JournalState.Submitted && slot.Entry.RequestId != null && !Options.Sync)
            {
                // Submitted by an earlier run and not collected: follow that job instead of paying again.
                var job = JobFromEntry(edit, slot.Entry, JobStatus.InQueue);
                events.Say($"Request {job.RequestId}: re-attached from the journal (submitted by an earlier run).");
                try
                {
                    return await WaitAndFetchAsync(edit, job, slot, events, clock, ct).ConfigureAwait(false);
                }
                catch (FalApiException ex) when (ex.Kind == FalErrorKind.NotFound)
                {
                    // fal no longer knows the request (its results expire): the edit is submitted again.
                    events.Warn($"Request {job.RequestId} from the journal is unknown to fal ({ex.Message}); the edit is submitted again.");
                    clock.Restart();
                }
            }
            if (Options.Sync) return await RunSyncAsync(edit, slot, events, clock, ct).ConfigureAwait(false);
            var submitted = await SubmitNewAsync(edit, slot, events, ct).ConfigureAwait(false);
            events.Submitted?.Invoke(submitted);
            events.Say($"Submitted request {submitted.RequestId} to {edit.Endpoint.Full}.");
            return await WaitAndFetchAsync(edit, submitted, slot, events, clock, ct).ConfigureAwait(false);
        }

        /// <summary>Follows a job already submitted (for example one a journal recorded) to its result.</summary>
        public Task<EditResult> FollowAsync(EditSpec edit, Job job, IEditJournalSlot? slot, EditEvents? events, CancellationToken ct) =>
            WaitAndFetchAsync(edit, job, slot, events ?? EditEvents.None, Stopwatch.StartNew(), ct);

        /// <summary>
        /// Submits the edit without waiting; when the journal shows an earlier run already had it
        /// accepted by fal, returns that job instead of a second one.
        /// </summary>
        public async Task<SubmitOutcome> SubmitAsync(EditSpec edit, IEditJournalSlot? slot, EditEvents? events, CancellationToken ct)
        {
            events ??= EditEvents.None;
            var entry = slot?.Entry;
            if (entry?.RequestId != null && (entry.State == JournalState.Submitted || entry.State == JournalState.Completed))
            {
                // Already accepted by fal in an earlier run: the same job again, not a second one.
                var job = JobFromEntry(edit, entry, entry.State == JournalState.Completed ? JobStatus.Completed : JobStatus.InQueue);
                job.SubmittedAt = entry.Updated.ToLocalTime();
                job.InputImages = edit.InputLabels;
                job.WebhookUrl = edit.SubmitOptions.WebhookUrl;
                return new SubmitOutcome(job, fromJournal: true);
            }
            return new SubmitOutcome(await SubmitNewAsync(edit, slot, events, ct).ConfigureAwait(false), fromJournal: false);
        }

        /// <summary>
        /// Fetches a job's result: after waiting for it (<see cref="ReceiveOptions.Wait"/>) or
        /// checking that it completed; a failed job's error is replayed from its result.
        /// </summary>
        /// <exception cref="JobNotCompletedException">Still queued or running (without Wait).</exception>
        public async Task<EditResult> ReceiveAsync(JobRef job, ReceiveOptions? options, CancellationToken ct)
        {
            options ??= new ReceiveOptions();
            JobStatus? status = null;
            if (options.Wait) status = await Client.WaitAsync(job, new WaitOptions { Logs = options.OnUpdate != null, OnUpdate = options.OnUpdate }, ct).ConfigureAwait(false);
            else if (!string.Equals(options.KnownStatus, JobStatus.Completed, StringComparison.Ordinal)) status = await Client.GetStatusAsync(job, false, ct).ConfigureAwait(false);
            if (status != null && !status.IsCompleted)
                throw new JobNotCompletedException(job.RequestId, status.Status);
            if (status != null && status.IsFailed) await ThrowFailureAsync(Client, job, status, ct).ConfigureAwait(false);
            var raw = await Client.GetResultAsync(job, status?.IsSucceeded == true, ct).ConfigureAwait(false);
            var result = EditResultParser.Parse(raw.Json, job.RequestId, job.Endpoint.Full, options.Prompt);
            result.InferenceTime = status?.InferenceTime;
            result.InputImages = options.InputImages ?? result.InputImages;
            return result;
        }

        /// <summary>
        /// A COMPLETED status with an error: fetch the result, which replays the model's error body
        /// (422 details, timeouts, cancellation), so the caller gets the full story. Always throws.
        /// </summary>
        public static async Task ThrowFailureAsync(FalClient client, JobRef job, JobStatus status, CancellationToken ct)
        {
            try
            {
                await client.GetResultAsync(job, ct).ConfigureAwait(false);
            }
            catch (FalApiException ex) when (ex.Kind != FalErrorKind.Connection)
            {
                ex.RequestId ??= job.RequestId;
                throw;
            }
            var kind = status.IsCancelled ? FalErrorKind.JobCancelled : FalErrorKind.JobFailed;
            throw new FalApiException(kind, $"Request {job.RequestId} failed ({status.ErrorType ?? "error"}): {status.Error}")
            {
                RequestId = job.RequestId,
                ErrorType = status.ErrorType,
                Detail = status.Error,
            };
        }

        private static Job JobFromEntry(EditSpec edit, JournalEntry entry, string status) => new Job
        {
            RequestId = entry.RequestId!,
            Endpoint = edit.Endpoint.Full,
            Status = status,
            StatusUrl = entry.StatusUrl,
            ResponseUrl = entry.ResponseUrl,
            CancelUrl = entry.CancelUrl,
            Prompt = edit.Request.Prompt,
            MaxImageCount = edit.Request.MaxImageCount,
        };

        /// <summary>Inputs to URLs, the journal told, then the submit (its id recorded as soon as fal names it).</summary>
        private async Task<Job> SubmitNewAsync(EditSpec edit, IEditJournalSlot? slot, EditEvents events, CancellationToken ct)
        {
            var json = await RequestJsonAsync(edit, slot, events, ct).ConfigureAwait(false);
            Job job;
            try
            {
                job = await Client.SubmitAsync(edit.Endpoint, json, JournaledSubmitOptions(edit, slot), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (slot != null && !(ex is OperationCanceledException))
            {
                await RecordRefusedAsync(slot, ex).ConfigureAwait(false);
                throw;
            }
            job.Prompt = edit.Request.Prompt;
            job.MaxImageCount = edit.Request.MaxImageCount;
            job.InputImages = edit.InputLabels;
            return job;
        }

        private async Task<EditResult> RunSyncAsync(EditSpec edit, IEditJournalSlot? slot, EditEvents events, Stopwatch clock, CancellationToken ct)
        {
            var json = await RequestJsonAsync(edit, slot, events, ct).ConfigureAwait(false);
            var run = await Client.RunAsync(edit.Endpoint, json, edit.SubmitOptions.StartTimeout, edit.SubmitOptions.Headers, ct).ConfigureAwait(false);
            var result = EditResultParser.Parse(run.Json, run.RequestId ?? string.Empty, edit.Endpoint.Full, edit.Request.Prompt);
            result.InputImages = edit.InputLabels;
            result.Duration = Seconds(clock.Elapsed);
            return result;
        }

        /// <summary>The request body with every input as a URL; with a journal, the edit is recorded as being sent first.</summary>
        private async Task<string> RequestJsonAsync(EditSpec edit, IEditJournalSlot? slot, EditEvents events, CancellationToken ct)
        {
            edit.Request.ImageUrls = await InputImages.ToUrlsAsync(Client, edit.Images, Options.InlineImages, _uploads, ct).ConfigureAwait(false);
            var json = edit.Request.ToJson();
            if (slot != null) await RecordSubmittingAsync(slot, edit, events, ct).ConfigureAwait(false);
            return json;
        }

        /// <summary>Records that the submit is about to go on the wire; warns when an earlier run left it ambiguous.</summary>
        private static async Task RecordSubmittingAsync(IEditJournalSlot slot, EditSpec edit, EditEvents events, CancellationToken ct)
        {
            if (slot.Entry?.State == JournalState.Submitting)
                events.Warn($"The journal '{slot.JournalPath}' shows that an earlier run was sending '{Short(edit.Request.Prompt)}' when it ended, before fal named a request id. It is submitted again; if fal had received the earlier submit, that job ran (and was billed) without being collected.");
            await slot.RecordSubmittingAsync(edit.Endpoint.Full, edit.Request.Prompt, edit.InputLabels).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                // Stopped while the record was being made durable: nothing went on the wire, so the
                // entry must not look ambiguous to the rerun.
                await slot.RecordFailedAsync(null, "stopped before it was sent").ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Submit options that record the request id durably as soon as fal names it, and keep the job running on a stop.</summary>
        private static SubmitOptions JournaledSubmitOptions(EditSpec edit, IEditJournalSlot? slot)
        {
            if (slot == null) return edit.SubmitOptions;
            return new SubmitOptions
            {
                WebhookUrl = edit.SubmitOptions.WebhookUrl,
                Priority = edit.SubmitOptions.Priority,
                StartTimeout = edit.SubmitOptions.StartTimeout,
                Headers = edit.SubmitOptions.Headers,
                Accepted = slot.RecordSubmittedAsync,
                CancelRemoteOnAbort = false,
            };
        }

        /// <summary>Records a submit that fal refused outright (no job exists), so a rerun does not call it ambiguous.</summary>
        private static async Task RecordRefusedAsync(IEditJournalSlot slot, Exception ex)
        {
            if (ex is FalApiException api && (api.Kind == FalErrorKind.Validation || api.Kind == FalErrorKind.Unauthorized || api.Kind == FalErrorKind.Forbidden
                || api.Kind == FalErrorKind.NotFound || api.Kind == FalErrorKind.RateLimited || api.Kind == FalErrorKind.BadRequest))
            {
                try { await slot.RecordFailedAsync(null, api.Message).ConfigureAwait(false); }
                catch (JournalException) { }
            }
        }

        private async Task<EditResult> WaitAndFetchAsync(EditSpec edit, Job job, IEditJournalSlot? slot, EditEvents events, Stopwatch clock, CancellationToken ct)
        {
            var journaled = slot != null;
            var jobRef = JobRef.From(job);
            var limit = Options.Timeout;
            var remaining = limit.HasValue ? limit.Value - clock.Elapsed : (TimeSpan?)null;
            if (remaining.HasValue && remaining.Value < TimeSpan.FromMilliseconds(1)) remaining = TimeSpan.FromMilliseconds(1);
            JobStatus status;
            try
            {
                status = await Client.WaitAsync(jobRef, new WaitOptions
                {
                    Logs = true,
                    UseStream = Options.UseStream,
                    Timeout = remaining,
                    OnUpdate = events.StatusUpdate,
                    // With a journal a stop leaves the job running: it is recorded, and a rerun collects it.
                    CancelRemoteOnAbort = !journaled,
                }, ct).ConfigureAwait(false);
            }
            catch (FalWaitTimeoutException) when (limit.HasValue)
            {
                // The wait had what was left of the limit; the message names the limit itself.
                if (journaled)
                    throw new FalWaitTimeoutException(job.RequestId, limit.Value,
                        $"Request {job.RequestId} did not complete within {limit.Value.TotalSeconds:0.###} s. It keeps running on fal and is recorded in the journal '{slot!.JournalPath}': run the command again with -Journal to collect it.");
                throw new FalWaitTimeoutException(job.RequestId, limit.Value, $"Request {job.RequestId} did not complete within {limit.Value.TotalSeconds:0.###} s; the remote request was cancelled.");
            }
            if (status.IsFailed)
            {
                try { await ThrowFailureAsync(Client, jobRef, status, ct).ConfigureAwait(false); }
                catch (FalApiException ex) when (journaled)
                {
                    // A failed or cancelled job is sent again by the next run.
                    await slot!.RecordFailedAsync(job.RequestId, ex.Message).ConfigureAwait(false);
                    throw;
                }
            }
            // The status said it succeeded: a 500 on the result is passing, so it may be retried.
            var raw = await Client.GetResultAsync(jobRef, succeeded: true, ct).ConfigureAwait(false);
            var result = EditResultParser.Parse(raw.Json, job.RequestId, edit.Endpoint.Full, edit.Request.Prompt);
            result.InferenceTime = status.InferenceTime;
            result.InputImages = edit.InputLabels;
            result.Duration = Seconds(clock.Elapsed);
            return result;
        }

        private static double Seconds(TimeSpan elapsed) => Math.Round(elapsed.TotalSeconds, 3);

        private static string Short(string? s) => s == null ? string.Empty : s.Length <= 60 ? s : s.Substring(0, 57) + "...";
    }
}
