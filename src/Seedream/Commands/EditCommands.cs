using System;
using System.Diagnostics;
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

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try { _template = Storage.NameTemplate.Parse(NameTemplate); }
            catch (FormatException ex)
            {
                ThrowTerminatingError(ErrorFactory.Create("SeedreamNameTemplateInvalid", ErrorCategory.InvalidArgument, ex.Message, NameTemplate, ex));
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
            Enqueue(ct => EditAsync(client, edit, onUpdate, m => pump.Post(() => WriteVerbose(m)), outFolder, ct),
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
                    WriteFailure(ex, target);
                    _batch.Write(this);
                });
            _batch.Write(this);
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
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

        private async Task<Outcome> EditAsync(FalClient client, PreparedEdit edit, Action<JobStatus> onUpdate, Action<string> verbose, string? outFolder, CancellationToken ct)
        {
            var result = await RunEditAsync(client, edit, onUpdate, verbose, ct).ConfigureAwait(false);
            var saveErrors = new System.Collections.Generic.List<ErrorRecord>();
            if (outFolder != null)
            {
                var saver = new ImageSaver(client, _template!, force: false, ImageSaver.DefaultMaximumSizeMB * 1024L * 1024L);
                saveErrors = await saver.SaveResultAsync(result, outFolder, null, ct).ConfigureAwait(false);
            }
            return new Outcome(result, saveErrors);
        }

        private async Task<EditResult> RunEditAsync(FalClient client, PreparedEdit edit, Action<JobStatus> onUpdate, Action<string> verbose, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            edit.Request.ImageUrls = await ImageResolver.ToUrlsAsync(client, edit.Images, InlineImages.IsPresent, _uploads, ct).ConfigureAwait(false);
            var json = edit.Request.ToJson();
            if (Sync)
            {
                var run = await client.RunAsync(edit.Endpoint, json, edit.SubmitOptions.StartTimeout, edit.SubmitOptions.Headers, ct).ConfigureAwait(false);
                var synced = EditResultParser.Parse(run.Json, run.RequestId ?? string.Empty, edit.Endpoint.Full, edit.Request.Prompt);
                synced.InputImages = edit.InputLabels;
                synced.Duration = Seconds(clock.Elapsed);
                return synced;
            }
            var job = await client.SubmitAsync(edit.Endpoint, json, edit.SubmitOptions, ct).ConfigureAwait(false);
            job.Prompt = edit.Request.Prompt;
            job.MaxImageCount = edit.Request.MaxImageCount;
            JobHistory.Add(job);
            verbose($"Submitted request {job.RequestId} to {edit.Endpoint.Full}.");
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
                }, ct).ConfigureAwait(false);
            }
            catch (FalWaitTimeoutException) when (TimeoutSec.HasValue)
            {
                // The wait had what was left of -TimeoutSec; the message names what the user asked for.
                throw new FalWaitTimeoutException(job.RequestId, TimeSpan.FromSeconds(TimeoutSec.Value));
            }
            if (status.IsFailed) await JobOutcome.ThrowFailureAsync(client, jobRef, status, ct).ConfigureAwait(false);
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
                    WriteError(ErrorFactory.Create("SeedreamWebhookUrlInvalid", ErrorCategory.InvalidArgument, $"The webhook URL '{WebhookUrl}' is not an absolute http or https URL.", WebhookUrl));
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
            Enqueue(async ct =>
                {
                    edit.Request.ImageUrls = await ImageResolver.ToUrlsAsync(client, edit.Images, inline, _uploads, ct).ConfigureAwait(false);
                    var submitted = await client.SubmitAsync(edit.Endpoint, edit.Request.ToJson(), edit.SubmitOptions, ct).ConfigureAwait(false);
                    submitted.Prompt = edit.Request.Prompt;
                    submitted.MaxImageCount = edit.Request.MaxImageCount;
                    submitted.InputImages = edit.InputLabels;
                    return submitted;
                },
                job =>
                {
                    JobHistory.Add(job);
                    WriteVerbose($"Submitted request {job.RequestId} (queue position {job.QueuePosition?.ToString() ?? "unknown"}).");
                    WriteObject(job);
                },
                ex => WriteFailure(ex, target));
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
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
