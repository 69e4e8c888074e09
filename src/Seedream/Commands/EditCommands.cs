namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Edits images with Seedream: submits, waits and returns the result in one call.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "SeedreamEdit", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EditResult))]
    public sealed class InvokeSeedreamEditCommand : InvokeCmdletBase
    {
        /// <summary>Send local files inline as data URIs instead of uploading them to fal storage.</summary>
        [Parameter]
        public SwitchParameter InlineImages { get; set; }

        private protected override bool InlineImagesRequested => InlineImages.IsPresent;
    }

    /// <summary>
    /// Submit + wait + result in one call, for every record of the pipeline: shared by
    /// Invoke-SeedreamEdit and New-SeedreamImage (which differ only in their images and default endpoint).
    /// </summary>
    public abstract class InvokeCmdletBase : EditCmdletBase
    {
        private BatchProgress? _batchProgress;
        private BatchProgress _batch => _batchProgress ??= new BatchProgress(ProgressActivities.Next(), CommandKind == EndpointKind.Edit ? "Seedream edits" : "Seedream images");

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

        // One per command: it shares uploads and -OutFolder names (never overwriting) between records.
        private EditWorkflow? _workflow;

        private EditWorkflow Workflow => _workflow ??= new EditWorkflow(Session.Client, new EditWorkflowOptions
        {
            InlineImages = InlineImagesRequested,
            Sync = Sync.IsPresent,
            UseStream = !NoStream.IsPresent,
            Timeout = TimeoutSec.HasValue ? TimeSpan.FromSeconds(TimeoutSec.Value) : (TimeSpan?)null,
            NameTemplate = _template!,
        });

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            // Names are only for -OutFolder: without it nothing is saved, and a paid edit should not
            // run on the belief that its images will be.
            if (OutFolder == null && MyInvocation.BoundParameters.ContainsKey(nameof(NameTemplate)))
                ThrowTerminatingError(Errors.NameTemplateWithoutOutFolder.Record("-NameTemplate names the files -OutFolder saves, and no -OutFolder was given: nothing would be saved. Add -OutFolder, or pipe the results to Save-SeedreamImage -NameTemplate.", NameTemplate));
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
            var what = CommandKind == EndpointKind.Edit ? "edit" : "image request";
            if (!ShouldProcessEdit(edit, Sync ? $"Run {what} synchronously" : $"Submit {what} and wait for it")) return;
            var workflow = Workflow;
            var sequence = _batch.Add();
            var reporter = new WaitReporter(r => PostProgress(_batch.Parent(r)), PostVerbose, ProgressActivities.Next(), CommandKind == EndpointKind.Edit ? "Seedream edit" : "Seedream image");
            var events = new EditEvents
            {
                StatusUpdate = status =>
                {
                    if (_batch.Observe(sequence, status) is { } bar) PostProgress(bar);
                    reporter.Update(status);
                },
                Submitted = JobHistory.Add,
                Verbose = PostVerbose,
                Warning = PostWarning,
            };
            var claim = JournalUse?.Claim(edit);
            var spec = edit.ToSpec();
            Enqueue(async ct => await workflow.EditAsync(spec, claim == null ? null : await claim.ConfigureAwait(false), outFolder, events, ct).ConfigureAwait(false),
                done =>
                {
                    if (reporter.Closing() is { } closing) WriteProgress(_batch.Parent(closing));
                    foreach (var error in done.SaveErrors) WriteError(SaveErrors.ToErrorRecord(error.Error, error.Item.Target));
                    WriteObject(done.Result);
                    _batch.Finished(sequence, failed: false);
                    _batch.Write(WriteProgress);
                },
                ex =>
                {
                    if (reporter.Closing() is { } closing) WriteProgress(_batch.Parent(closing));
                    _batch.Finished(sequence, failed: true);
                    WriteEditFailure(ex, target);
                    _batch.Write(WriteProgress);
                });
            _batch.Write(WriteProgress);
        }

        protected override void EndProcessing()
        {
            DriveToEnd();
            CloseJournal();
            _batch.Complete(WriteProgress);
            WriteWhatIfTotal();
        }
    }

    /// <summary>
    /// <para type="synopsis">Submits an edit to the fal queue and returns the job without waiting.</para>
    /// </summary>
    [Cmdlet(VerbsLifecycle.Submit, "SeedreamJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(Job))]
    public sealed class SubmitSeedreamJobCommand : EditCmdletBase
    {
        // One per command: a file used by many records is uploaded once.
        private EditWorkflow? _workflow;

        /// <summary>Send local files inline as data URIs instead of uploading them to fal storage.</summary>
        [Parameter]
        public SwitchParameter InlineImages { get; set; }

        private protected override bool InlineImagesRequested => InlineImages.IsPresent;
        private protected override bool AcceptsEitherKind => true;

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
            if (!ShouldProcessEdit(edit, (edit.Endpoint.Profile?.Kind ?? EndpointKind.Edit) == EndpointKind.Edit ? "Submit edit" : "Submit image request")) return;
            var workflow = _workflow ??= new EditWorkflow(Session.Client, new EditWorkflowOptions { InlineImages = InlineImages.IsPresent });
            var claim = JournalUse?.Claim(edit);
            var events = new EditEvents { Warning = PostWarning };
            var spec = edit.ToSpec();
            Enqueue(async ct => await workflow.SubmitAsync(spec, claim == null ? null : await claim.ConfigureAwait(false), events, ct).ConfigureAwait(false),
                done =>
                {
                    var job = done.Job;
                    JobHistory.Add(job);
                    WriteVerbose(done.FromJournal
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
}
