namespace Seedream.Commands
{
    /// <summary>
    /// Parameters that identify a queued request. They bind by property name, so Seedream.Job and
    /// Seedream.JobStatus objects (and raw fal responses with request_id) pipe between the job cmdlets.
    /// </summary>
    public abstract class JobCmdletBase : ConcurrentCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("request_id", "Id")]
        [ArgumentCompleter(typeof(RequestIdCompleter))]
        [RequestIdTransformation]
        public string RequestId { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(EndpointCompleter))]
        [EmptyIsNotGiven]
        public string? Endpoint { get; set; } = EndpointId.SeedreamV5LiteEdit;

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [Alias("status_url")]
        public string? StatusUrl { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [Alias("response_url")]
        public string? ResponseUrl { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [Alias("cancel_url")]
        public string? CancelUrl { get; set; }

        /// <summary>Carried through from a Seedream.Job so results name their prompt.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? Prompt { get; set; }

        /// <summary>Carried through from a Seedream.Job so results name their input images.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [CsvListTransformation]
        public string[]? InputImages { get; set; }

        /// <summary>The job reference, or null after writing a non-terminating error.</summary>
        protected JobRef? MakeRef()
        {
            var endpointText = string.IsNullOrWhiteSpace(Endpoint) ? EndpointId.SeedreamV5LiteEdit : Endpoint!.Trim();
            if (!EndpointId.TryParse(endpointText, out var endpoint, out var error))
            {
                WriteError(Errors.InvalidEndpoint.Record(error!, endpointText));
                return null;
            }
            if (!JobRef.IsValidRequestId(RequestId))
            {
                WriteError(Errors.InvalidRequestId.Record($"'{RequestId}' is not a valid request id: fal request ids are UUIDs (letters, digits and dashes).", RequestId));
                return null;
            }
            return new JobRef(endpoint!, RequestId, StatusUrl, ResponseUrl, CancelUrl);
        }

        /// <summary>Starts the work for this record; up to -ThrottleLimit records run at once.</summary>
        protected void Run<T>(Func<FalClient, JobRef, System.Threading.CancellationToken, System.Threading.Tasks.Task<T>> work, Action<T> onResult, Action<bool>? onEither = null)
        {
            Drive(Throttle);
            var job = MakeRef();
            if (job == null)
            {
                // Refused before any work (its error is written): done, and failed.
                onEither?.Invoke(true);
                return;
            }
            var client = Session.Client;
            var requestId = RequestId;
            Enqueue(ct => work(client, job, ct),
                result =>
                {
                    onEither?.Invoke(result is JobStatus { IsFailed: true });
                    onResult(result);
                },
                ex =>
                {
                    onEither?.Invoke(true);
                    // A 404 for a request id means fal does not know that request (the endpoint was
                    // already parsed): the same ErrorId Stop-SeedreamJob gives.
                    if (ex is FalApiException { Kind: FalErrorKind.NotFound } notFound)
                        WriteError(Errors.JobNotFound.Record($"fal does not know request {requestId} on {job.Endpoint.Full}.", requestId, notFound));
                    else
                        WriteFailure(ex, requestId);
                });
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
            _waits?.Complete(WriteProgress);
        }

        private BatchProgress? _waits;

        /// <summary>
        /// A wait's bar (under a "n of N done" bar once several records wait, as Invoke-SeedreamEdit
        /// shows its batch) and the status handler that feeds both; <paramref name="done"/> closes the
        /// record's bar and counts it.
        /// </summary>
        private protected Action<JobStatus> StartWait(out Action<bool> done)
        {
            var batch = _waits ??= new BatchProgress(ProgressActivities.Next(), "Seedream jobs");
            var sequence = batch.Add();
            var reporter = new WaitReporter(r => PostProgress(batch.Parent(r)), PostVerbose, ProgressActivities.Next(), "Waiting for Seedream job");
            done = failed =>
            {
                if (reporter.Closing() is { } closing) WriteProgress(batch.Parent(closing));
                batch.Finished(sequence, failed);
                batch.Write(WriteProgress);
            };
            batch.Write(WriteProgress);
            return status =>
            {
                if (batch.Observe(sequence, status) is { } bar) PostProgress(bar);
                reporter.Update(status);
            };
        }
    }

    /// <summary>
    /// <para type="synopsis">Reads the status of a queued request once.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "SeedreamJobStatus")]
    [OutputType(typeof(JobStatus))]
    public sealed class GetSeedreamJobStatusCommand : JobCmdletBase
    {
        /// <summary>Include the model's log lines.</summary>
        [Parameter]
        public SwitchParameter Logs { get; set; }

        protected override void ProcessRecord()
        {
            var prompt = Prompt;
            var inputs = InputImages;
            var logs = Logs.IsPresent;
            Run((client, job, ct) => client.GetStatusAsync(job, logs, ct), status =>
            {
                status.Prompt = prompt;
                status.InputImages = inputs ?? status.InputImages;
                WriteObject(status);
            });
        }
    }

    /// <summary>
    /// <para type="synopsis">Waits until queued requests complete and returns their final status.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "SeedreamJob")]
    [OutputType(typeof(JobStatus))]
    public sealed class WaitSeedreamJobCommand : JobCmdletBase
    {
        /// <summary>Give up after this many seconds; the remote request is cancelled unless -NoCancel.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int? TimeoutSec { get; set; }

        /// <summary>Poll the status instead of following the status stream.</summary>
        [Parameter]
        public SwitchParameter NoStream { get; set; }

        /// <summary>Leave the remote request running when the wait times out or is stopped.</summary>
        [Parameter]
        public SwitchParameter NoCancel { get; set; }

        protected override void ProcessRecord()
        {
            var prompt = Prompt;
            var inputs = InputImages;
            var update = StartWait(out var done);
            var options = new WaitOptions
            {
                Logs = true,
                UseStream = !NoStream.IsPresent,
                Timeout = TimeoutSec.HasValue ? TimeSpan.FromSeconds(TimeoutSec.Value) : (TimeSpan?)null,
                CancelRemoteOnAbort = !NoCancel.IsPresent,
                OnUpdate = update,
            };
            Run((client, job, ct) => client.WaitAsync(job, options, ct),
                status =>
                {
                    status.Prompt = prompt;
                    status.InputImages = inputs ?? status.InputImages;
                    if (status.IsFailed)
                        WriteWarning(status.IsCancelled
                            ? $"Request {status.RequestId} was cancelled (client_cancelled)."
                            : $"Request {status.RequestId} completed with an error ({status.ErrorType ?? "error"}): {status.Error}");
                    WriteObject(status);
                },
                done);
        }
    }

    /// <summary>
    /// <para type="synopsis">Fetches the result of a completed request as a Seedream.EditResult.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "SeedreamJob")]
    [OutputType(typeof(EditResult))]
    public sealed class ReceiveSeedreamJobCommand : JobCmdletBase
    {
        /// <summary>Wait for the request to complete first, instead of reporting it as not finished.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>The status already known (from Wait-SeedreamJob); saves a status call when COMPLETED.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? Status { get; set; }

        protected override void ProcessRecord()
        {
            var options = new ReceiveOptions { Wait = Wait.IsPresent, KnownStatus = Status, Prompt = Prompt, InputImages = InputImages };
            // -Wait shows the wait as Wait-SeedreamJob does: a bar per request, model logs as Verbose.
            Action<bool>? done = null;
            if (Wait) options.OnUpdate = StartWait(out done);
            Run((client, job, ct) => new EditWorkflow(client).ReceiveAsync(job, options, ct), WriteObject, done);
        }
    }

    /// <summary>
    /// <para type="synopsis">Cancels queued or running requests.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Stop, "SeedreamJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CancelResult))]
    public sealed class StopSeedreamJobCommand : JobCmdletBase
    {
        /// <summary>Emit a Seedream.CancelResult for each request.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            if (!ShouldProcess($"request {RequestId} on {Endpoint}", "Cancel")) return;
            Run((client, job, ct) => client.CancelAsync(job, ct), result =>
            {
                switch (result.Outcome)
                {
                    case nameof(CancelOutcome.AlreadyCompleted):
                        WriteWarning($"Request {result.RequestId} had already completed; nothing was cancelled.");
                        break;
                    case nameof(CancelOutcome.NotFound):
                        WriteError(Errors.JobNotFound.Record($"fal does not know request {result.RequestId} on {result.Endpoint}.", result.RequestId));
                        break;
                    default:
                        WriteVerbose($"Cancellation of request {result.RequestId} requested.");
                        break;
                }
                if (PassThru) WriteObject(result);
            });
        }
    }
}
