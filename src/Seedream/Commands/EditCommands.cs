using System;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Commands.Internal;
using Seedream.Protocol;

namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Edits images with Seedream: submits, waits and returns the result in one call.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "SeedreamEdit", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EditResult))]
    public sealed class InvokeSeedreamEditCommand : EditCmdletBase
    {
        private const int BatchActivityId = 0x5EEC;
        private const int JobActivityBase = 0x5EED;
        private readonly UploadCache _uploads = new UploadCache();
        private readonly BatchProgress _batch = new BatchProgress(BatchActivityId, "Seedream edits");

        /// <summary>Give up on each edit (and cancel its remote request) after this many seconds.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int? TimeoutSec { get; set; }

        /// <summary>Run on fal.run synchronously instead of through the queue.</summary>
        [Parameter]
        public SwitchParameter Sync { get; set; }

        /// <summary>Poll the status instead of following the status stream.</summary>
        [Parameter]
        public SwitchParameter NoStream { get; set; }

        /// <summary>Save each output image into this folder; LocalPath on each image says where.</summary>
        [Parameter]
        public string? OutFolder { get; set; }

        /// <summary>File names for -OutFolder: {InputName}, {RequestId}, {Index}, {FileName}, {Seed}, {ext}.</summary>
        [Parameter]
        public string NameTemplate { get; set; } = Storage.NameTemplate.Default;

        private Storage.NameTemplate? _template;

        // -OutFolder never fails on a name clash (rows that share an input image, files of an earlier
        // run): each image gets the next free name instead, and nothing is overwritten.
        private readonly UniqueNames _names = new UniqueNames();

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try { _template = Storage.NameTemplate.Parse(NameTemplate); }
            catch (FormatException ex)
            {
                ThrowTerminatingError(Errors.NameTemplateInvalid.Record(ex.Message, NameTemplate, ex));
            }
        }

        protected override void ProcessRecord()
        {
            Drive(Throttle);
            var edit = Prepare();
            if (edit == null) return;
            // Checked before submitting: an edit whose images cannot be saved is not worth paying for.
            string? outFolder = null;
            if (OutFolder != null)
            {
                outFolder = FileSystemPaths.ResolveFolder(this, OutFolder, out var folderError);
                if (outFolder == null)
                {
                    WriteError(folderError!);
                    return;
                }
            }
            var target = Describe(edit, string.Empty).Target;
            if (!ShouldProcessEdit(edit, Sync ? "Run edit synchronously" : "Submit edit and wait for it")) return;
            var client = Session.Client;
            var sequence = _batch.Add();
            var pump = Pump;
            var reporter = new WaitReporter(pump.Post, r => () => WriteProgress(_batch.Parent(r)), m => () => WriteVerbose(m), JobActivityBase + 1 + sequence % 100000, "Seedream edit");
            Action<JobStatus> onUpdate = status =>
            {
                if (_batch.Observe(sequence, status)) pump.Post(() => _batch.Write(this));
                reporter.Update(status);
            };
            var claim = JournalUse?.Claim(edit);
            Enqueue(ct => EditAsync(client, edit, claim, onUpdate, m => pump.Post(() => WriteVerbose(m)), m => pump.Post(() => WriteWarning(m)), outFolder, ct),
                done =>
                {
                    WriteProgress(reporter.Completed());
                    foreach (var error in done.SaveErrors) WriteError(error);
                    WriteObject(done.Result);
                    _batch.Finished(sequence, failed: false);
                    _batch.Write(this);
                },
                ex =>
                {
                    WriteProgress(reporter.Completed());
                    _batch.Finished(sequence, failed: true);
                    WriteEditFailure(ex, target);
                    _batch.Write(this);
                });
            _batch.Write(this);
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
            CloseJournal();
            _batch.Complete(this);
            WriteWhatIfTotal();
        }

        private static double Seconds(TimeSpan elapsed) => Math.Round(elapsed.TotalSeconds, 3);

        private sealed class Outcome
        {
            public Outcome(EditResult result, System.Collections.Generic.List<ErrorRecord> saveErrors)
            {
                Result = result;
                SaveErrors = saveErrors;
            }

            public EditResult Result { get; }
            public System.Collections.Generic.List<ErrorRecord> SaveErrors { get; }
        }

        private async Task<Outcome> EditAsync(FalClient client, PreparedEdit edit, Task<JournalSlot>? claim, Action<JobStatus> onUpdate, Action<string> verbose, Action<string> warn, string? outFolder, CancellationToken ct)
        {
            var slot = claim == null ? null : await claim.ConfigureAwait(false);
            if (slot?.State == JournalState.Completed) return await ReplayAsync(client, edit, slot, verbose, outFolder, ct).ConfigureAwait(false);
            var result = await RunEditAsync(client, edit, slot, onUpdate, verbose, warn, ct).ConfigureAwait(false);
            var saveErrors = new System.Collections.Generic.List<ErrorRecord>();
            if (outFolder != null)
            {
                var saver = new ImageSaver(client, _template!, force: false, ImageSaver.DefaultMaximumSizeMB * 1024L * 1024L, _names);
                saveErrors = await saver.SaveResultAsync(result, outFolder, null, ct).ConfigureAwait(false);
            }
            // Recorded after saving, with the saved paths. Nothing later relies on this record, so
            // the edit does not wait for its fsync (closing the journal does): a kill before it is
            // durable costs a rerun only a status read and a result fetch of a job already paid for.
            if (slot != null) Observe(RecordCompletedAsync(slot, result), warn);
            return new Outcome(result, saveErrors);
        }

        private static void Observe(Task write, Action<string> warn) =>
            write.ContinueWith(t => warn("The journal could not record a completed edit: " + t.Exception!.InnerException!.Message), TaskContinuationOptions.OnlyOnFaulted);

        private Task RecordCompletedAsync(JournalSlot slot, EditResult result) =>
            JournalUse!.Journal.RecordCompletedAsync(slot.Fingerprint, slot.Occurrence, result.RequestId, result.RawJson, result.InferenceTime, result.Duration,
                result.Images.Select(i => i.LocalPath).ToArray());

        /// <summary>A result the journal already holds: emitted again, nothing submitted, saved images not downloaded again.</summary>
        private async Task<Outcome> ReplayAsync(FalClient client, PreparedEdit edit, JournalSlot slot, Action<string> verbose, string? outFolder, CancellationToken ct)
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
            var saveErrors = new System.Collections.Generic.List<ErrorRecord>();
            var missing = result.Images.Where(im => im.LocalPath == null).ToArray();
            if (outFolder != null && missing.Length > 0)
            {
                // Only what is not on disk yet is downloaded; the journal then learns the new paths.
                var saver = new ImageSaver(client, _template!, force: false, ImageSaver.DefaultMaximumSizeMB * 1024L * 1024L, _names);
                var part = new EditResult { RequestId = result.RequestId, Endpoint = result.Endpoint, Prompt = result.Prompt, Seed = result.Seed, InputImages = result.InputImages, Images = missing, RawJson = result.RawJson };
                saveErrors = await saver.SaveResultAsync(part, outFolder, null, ct).ConfigureAwait(false);
                if (missing.Any(im => im.LocalPath != null)) await RecordCompletedAsync(slot, result).ConfigureAwait(false);
            }
            verbose($"Request {result.RequestId}: result taken from the journal (nothing submitted).");
            return new Outcome(result, saveErrors);
        }

        private async Task<EditResult> RunEditAsync(FalClient client, PreparedEdit edit, JournalSlot? slot, Action<JobStatus> onUpdate, Action<string> verbose, Action<string> warn, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var journaled = slot != null;
            Job? job = null;
            if (slot?.State == JournalState.Submitted && !Sync)
            {
                // Submitted by an earlier run and not collected: follow that job instead of paying again.
                var e = slot.Entry!;
                job = new Job { RequestId = e.RequestId!, Endpoint = edit.Endpoint.Full, StatusUrl = e.StatusUrl, ResponseUrl = e.ResponseUrl, CancelUrl = e.CancelUrl, Prompt = edit.Request.Prompt, MaxImageCount = edit.Request.MaxImageCount };
                verbose($"Request {job.RequestId}: re-attached from the journal (submitted by an earlier run).");
                try
                {
                    return await WaitAndFetchAsync(client, edit, job, slot, onUpdate, clock, ct).ConfigureAwait(false);
                }
                catch (FalApiException ex) when (ex.Kind == FalErrorKind.NotFound)
                {
                    // fal no longer knows the request (its results expire): the edit is submitted again.
                    warn($"Request {job.RequestId} from the journal is unknown to fal ({ex.Message}); the edit is submitted again.");
                    clock.Restart();
                }
            }
            edit.Request.ImageUrls = await ImageResolver.ToUrlsAsync(client, edit.Images, InlineImages.IsPresent, _uploads, ct).ConfigureAwait(false);
            var json = edit.Request.ToJson();
            if (journaled) await JournalSubmittingAsync(slot!, edit, warn, ct).ConfigureAwait(false);
            if (Sync)
            {
                var run = await client.RunAsync(edit.Endpoint, json, edit.SubmitOptions.StartTimeout, edit.SubmitOptions.Headers, ct).ConfigureAwait(false);
                var synced = EditResultParser.Parse(run.Json, run.RequestId ?? string.Empty, edit.Endpoint.Full, edit.Request.Prompt);
                synced.InputImages = edit.InputLabels;
                synced.Duration = Seconds(clock.Elapsed);
                return synced;
            }
            try
            {
                job = await client.SubmitAsync(edit.Endpoint, json, JournaledSubmitOptions(edit, slot), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (journaled && !(ex is OperationCanceledException))
            {
                await JournalSubmitRefusedAsync(slot, ex).ConfigureAwait(false);
                throw;
            }
            job.Prompt = edit.Request.Prompt;
            job.MaxImageCount = edit.Request.MaxImageCount;
            JobHistory.Add(job);
            verbose($"Submitted request {job.RequestId} to {edit.Endpoint.Full}.");
            return await WaitAndFetchAsync(client, edit, job, slot, onUpdate, clock, ct).ConfigureAwait(false);
        }

        private async Task<EditResult> WaitAndFetchAsync(FalClient client, PreparedEdit edit, Job job, JournalSlot? slot, Action<JobStatus> onUpdate, Stopwatch clock, CancellationToken ct)
        {
            var journaled = slot != null;
            var jobRef = JobRef.From(job);
            var remaining = TimeoutSec.HasValue ? TimeSpan.FromSeconds(TimeoutSec.Value) - clock.Elapsed : (TimeSpan?)null;
            if (remaining.HasValue && remaining.Value < TimeSpan.FromMilliseconds(1)) remaining = TimeSpan.FromMilliseconds(1);
            JobStatus status;
            try
            {
                status = await client.WaitAsync(jobRef, new WaitOptions
                {
                    Logs = true,
                    UseStream = !NoStream.IsPresent,
                    Timeout = remaining,
                    OnUpdate = onUpdate,
                    // With a journal a stop leaves the job running: it is recorded, and a rerun collects it.
                    CancelRemoteOnAbort = !journaled,
                }, ct).ConfigureAwait(false);
            }
            catch (FalWaitTimeoutException) when (TimeoutSec.HasValue)
            {
                // The wait had what was left of -TimeoutSec; the message names what the user asked for.
                var limit = TimeSpan.FromSeconds(TimeoutSec.Value);
                if (journaled)
                    throw new FalWaitTimeoutException(job.RequestId, limit,
                        $"Request {job.RequestId} did not complete within {limit.TotalSeconds:0.###} s. It keeps running on fal and is recorded in the journal '{JournalUse!.Path}': run the command again with -Journal to collect it.");
                throw new FalWaitTimeoutException(job.RequestId, limit, $"Request {job.RequestId} did not complete within {limit.TotalSeconds:0.###} s; the remote request was cancelled.");
            }
            if (status.IsFailed)
            {
                try { await JobOutcome.ThrowFailureAsync(client, jobRef, status, ct).ConfigureAwait(false); }
                catch (FalApiException ex) when (journaled)
                {
                    // A failed or cancelled job is sent again by the next run.
                    await JournalUse!.Journal.RecordFailedAsync(slot!.Fingerprint, slot.Occurrence, job.RequestId, ex.Message).ConfigureAwait(false);
                    throw;
                }
            }
            // The status said it succeeded: a 500 on the result is passing, so it may be retried.
            var raw = await client.GetResultAsync(jobRef, succeeded: true, ct).ConfigureAwait(false);
            var result = EditResultParser.Parse(raw.Json, job.RequestId, edit.Endpoint.Full, edit.Request.Prompt);
            result.InferenceTime = status.InferenceTime;
            result.InputImages = edit.InputLabels;
            result.Duration = Seconds(clock.Elapsed);
            return result;
        }
    }

    /// <summary>
    /// <para type="synopsis">Submits an edit to the fal queue and returns the job without waiting.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Submit, "SeedreamJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(Job))]
    public sealed class SubmitSeedreamJobCommand : EditCmdletBase
    {
        private readonly UploadCache _uploads = new UploadCache();

        /// <summary>fal POSTs the result to this URL when the request completes (fal_webhook).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("fal_webhook")]
        public string? WebhookUrl { get; set; }

        protected override void ProcessRecord()
        {
            Drive(Throttle);
            var edit = Prepare();
            if (edit == null) return;
            if (!string.IsNullOrEmpty(WebhookUrl))
            {
                if (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var hook) || (hook.Scheme != Uri.UriSchemeHttps && hook.Scheme != Uri.UriSchemeHttp))
                {
                    WriteError(Errors.WebhookUrlInvalid.Record($"The webhook URL '{WebhookUrl}' is not an absolute http or https URL.", WebhookUrl));
                    return;
                }
                if (hook.Scheme == Uri.UriSchemeHttp)
                    WriteWarning($"The webhook URL '{WebhookUrl}' is plain http: the result will travel unencrypted. fal recommends https.");
                edit.SubmitOptions.WebhookUrl = WebhookUrl;
            }
            var target = Describe(edit, string.Empty).Target;
            if (!ShouldProcessEdit(edit, "Submit edit")) return;
            var client = Session.Client;
            var inline = InlineImages.IsPresent;
            var claim = JournalUse?.Claim(edit);
            var pump = Pump;
            Enqueue(async ct =>
                {
                    var slot = claim == null ? null : await claim.ConfigureAwait(false);
                    if (slot?.Entry?.RequestId != null && (slot.State == JournalState.Submitted || slot.State == JournalState.Completed))
                    {
                        // Already accepted by fal in an earlier run: the same job again, not a second one.
                        var e = slot.Entry;
                        return (new Job
                        {
                            RequestId = e.RequestId!,
                            Endpoint = edit.Endpoint.Full,
                            Status = slot.State == JournalState.Completed ? JobStatus.Completed : JobStatus.InQueue,
                            StatusUrl = e.StatusUrl,
                            ResponseUrl = e.ResponseUrl,
                            CancelUrl = e.CancelUrl,
                            SubmittedAt = e.Updated.ToLocalTime(),
                            Prompt = edit.Request.Prompt,
                            MaxImageCount = edit.Request.MaxImageCount,
                            InputImages = edit.InputLabels,
                            WebhookUrl = edit.SubmitOptions.WebhookUrl,
                        }, true);
                    }
                    edit.Request.ImageUrls = await ImageResolver.ToUrlsAsync(client, edit.Images, inline, _uploads, ct).ConfigureAwait(false);
                    if (slot != null) await JournalSubmittingAsync(slot, edit, m => pump.Post(() => WriteWarning(m)), ct).ConfigureAwait(false);
                    Job submitted;
                    try
                    {
                        submitted = await client.SubmitAsync(edit.Endpoint, edit.Request.ToJson(), JournaledSubmitOptions(edit, slot), ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (slot != null && !(ex is OperationCanceledException))
                    {
                        await JournalSubmitRefusedAsync(slot, ex).ConfigureAwait(false);
                        throw;
                    }
                    submitted.Prompt = edit.Request.Prompt;
                    submitted.MaxImageCount = edit.Request.MaxImageCount;
                    submitted.InputImages = edit.InputLabels;
                    return (submitted, false);
                },
                done =>
                {
                    var (job, fromJournal) = done;
                    JobHistory.Add(job);
                    WriteVerbose(fromJournal
                        ? $"Request {job.RequestId}: taken from the journal (submitted by an earlier run; nothing submitted now)."
                        : $"Submitted request {job.RequestId} (queue position {job.QueuePosition?.ToString() ?? "unknown"}).");
                    WriteObject(job);
                },
                ex => WriteEditFailure(ex, target));
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
            CloseJournal();
            WriteWhatIfTotal();
        }
    }

    internal static class JobOutcome
    {
        /// <summary>
        /// A COMPLETED status with an error: fetch the result, which replays the model's error body
        /// (422 details, timeouts, cancellation), so the caller gets the full story.
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
            var kind = status.ErrorType == "client_cancelled" ? FalErrorKind.JobCancelled : FalErrorKind.JobFailed;
            throw new FalApiException(kind, $"Request {job.RequestId} failed ({status.ErrorType ?? "error"}): {status.Error}")
            {
                RequestId = job.RequestId,
                ErrorType = status.ErrorType,
                Detail = status.Error,
            };
        }
    }
}
