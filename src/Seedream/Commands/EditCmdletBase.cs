namespace Seedream.Commands
{
    /// <summary>
    /// The request parameters shared by Invoke-SeedreamEdit, Submit-SeedreamJob and
    /// New-SeedreamImage. Every input binds by property name too (with the API's snake_case names
    /// as aliases), so CSV rows and objects pipe straight in. What an endpoint accepts comes from
    /// its profile (<see cref="EndpointProfiles"/>).
    /// </summary>
    public abstract class EditCmdletBase : ConcurrentCmdletBase
    {
        /// <summary>
        /// The prompt, bound by position or property name. New-SeedreamImage redeclares it to take
        /// plain piped text too; the edit commands take piped objects as input images instead.
        /// </summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public virtual string Prompt { get; set; } = string.Empty;

        /// <summary>
        /// Input images: URLs, data URIs, local paths, FileInfo, Seedream.Image or Seedream.File (none
        /// for a text-to-image endpoint). New-SeedreamImage redeclares it hidden, only to refuse it.
        /// </summary>
        [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("image_urls", "Images", "ImageUrl", "ImageUrls")]
        [AllowEmptyCollection]
        [ImageInputTransformation]
        [SupportsWildcards]
        public virtual ImageInput[] Image { get; set; } = Array.Empty<ImageInput>();

        /// <summary>True when local files go inline as data URIs (-InlineImages) instead of being uploaded.</summary>
        private protected virtual bool InlineImagesRequested => false;

        /// <summary>What the command does: the kind assumed for an endpoint without a profile, and its default endpoint's.</summary>
        private protected virtual EndpointKind CommandKind => EndpointKind.Edit;

        /// <summary>True for a cmdlet that queues either kind of request (Submit-SeedreamJob).</summary>
        private protected virtual bool AcceptsEitherKind => false;

        /// <summary>The endpoint used when -Endpoint is not given.</summary>
        private protected virtual string DefaultEndpoint => EndpointId.SeedreamV5LiteEdit;

        /// <summary>A preset (auto_2K, landscape_16_9, ...), WIDTHxHEIGHT, or @{ width = ...; height = ... }.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        // No "Size" alias: every file item has a Size property on Linux and macOS.
        [Alias("image_size")]
        [ArgumentCompleter(typeof(ImageSizeCompleter))]
        [EmptyIsNotGiven]
        public object? ImageSize { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("num_images")]
        [EmptyIsNotGiven(WholeNumber = true)]
        public int? NumImages { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("max_images")]
        [EmptyIsNotGiven(WholeNumber = true)]
        public int? MaxImages { get; set; }

        /// <summary>64-bit seed for reproducible output.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [EmptyIsNotGiven(WholeNumber = true)]
        public long? Seed { get; set; }

        /// <summary>Return images inline as data URIs (not kept in fal's request history).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("sync_mode")]
        [BooleanTextTransformation]
        public SwitchParameter SyncMode { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("enable_safety_checker")]
        [BooleanTextTransformation(EmptyIsNull = true)]
        public bool? EnableSafetyChecker { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("enhance_prompt_mode")]
        [ArgumentCompleter(typeof(EnhancePromptModeCompleter))]
        [EmptyIsNotGiven]
        public string? EnhancePromptMode { get; set; }

        /// <summary>jpeg or png, where the endpoint has output_format (Seedream 5.0 Pro).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("output_format")]
        [ArgumentCompleter(typeof(OutputFormatCompleter))]
        [EmptyIsNotGiven]
        public string? OutputFormat { get; set; }

        /// <summary>The fal endpoint id; the command's default when not given.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(EndpointCompleter))]
        [EmptyIsNotGiven]
        public string? Endpoint { get; set; }

        /// <summary>Extra input fields merged into the request body (for fields this version does not know).</summary>
        [Parameter]
        [Alias("AdditionalBody")]
        public Hashtable? AdditionalInput { get; set; }

        /// <summary>normal (default) or low: low-priority requests wait behind normal ones.</summary>
        [Parameter]
        [ValidateSet("normal", "low")]
        public string? Priority { get; set; }

        /// <summary>Server-side deadline for the request to start running (x-fal-request-timeout).</summary>
        [Parameter]
        public double? StartTimeoutSec { get; set; }

        /// <summary>Extra x-fal-* request headers passed through unchanged.</summary>
        [Parameter]
        public Hashtable? Header { get; set; }

        /// <summary>
        /// A journal file (JSON lines) that records every edit of the batch, so a rerun after a
        /// crash or stop collects submitted jobs and replays completed results instead of paying again.
        /// </summary>
        [Parameter]
        [Alias("JournalPath")]
        public string? Journal { get; set; }

        /// <summary>Parameters given on the command line (bound before any pipeline input).</summary>
        private HashSet<string> _commandLine = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The open journal of this command, when -Journal was given.</summary>
        private protected JournalSession? JournalUse { get; private set; }

        protected override void BeginProcessing()
        {
            _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            // -WhatIf sends nothing, so it writes no journal either; it only reads one that exists.
            if (!string.IsNullOrEmpty(Journal) && !IsWhatIf) JournalUse = OpenJournal(this, Journal!);
            else if (!string.IsNullOrEmpty(Journal)) _preview = PreviewJournal(Journal!);
        }

        private JournalPreview? _preview;

        private JournalPreview? PreviewJournal(string path)
        {
            var resolved = FileSystemPaths.ResolveFile(this, path, out var pathError);
            if (resolved == null) ThrowTerminatingError(pathError!);
            if (!System.IO.File.Exists(resolved)) return null;
            try
            {
                return new JournalPreview(EditJournal.Read(resolved!));
            }
            catch (JournalException ex)
            {
                ThrowTerminatingError(JournalError(ex, resolved!));
                return null;
            }
        }

        /// <summary>Opens a journal for this command; a terminating error with the journal's own ErrorId when it cannot be used.</summary>
        internal static JournalSession OpenJournal(PSCmdlet cmdlet, string path)
        {
            var resolved = FileSystemPaths.ResolveFile(cmdlet, path, out var pathError);
            if (resolved == null)
            {
                cmdlet.ThrowTerminatingError(pathError!);
                throw new InvalidOperationException();
            }
            try
            {
                return new JournalSession(EditJournal.Open(resolved));
            }
            catch (JournalException ex)
            {
                cmdlet.ThrowTerminatingError(JournalError(ex, resolved));
                throw;
            }
        }

        internal static ErrorRecord JournalError(JournalException ex, string path)
        {
            return Errors.ForCode(ex.Code).Record(ex, path);
        }

        /// <summary>Closes the journal (its records are durable first) once no worker writes to it.</summary>
        protected void CloseJournal()
        {
            JournalUse?.Dispose();
        }

        protected override void ReleaseResources() => CloseJournal();

        protected override string? StopNote => JournalUse != null
            ? $"Stopped. The edits already submitted keep running on fal and are recorded in the journal '{JournalUse.Path}': run the same command again with -Journal to collect them without submitting (and paying for) them again."
            : "Stopped. The requests in flight were cancelled on fal. (With -Journal they would keep running, and a rerun would collect them.)";

        /// <summary>
        /// The validated request, the parsed endpoint and its submit options; null after writing the
        /// record's error. A bad record gets exactly one error: the first problem found, with any
        /// others named in its message.
        /// </summary>
        protected PreparedEdit? Prepare()
        {
            var errors = new List<ErrorRecord>();
            var images = (Image ?? Array.Empty<ImageInput>()).Where(i => i != null).ToList();

            // Piping an earlier result (Seedream.Image / Seedream.EditResult, live or deserialized)
            // means "edit this image": its prompt, seed and endpoint are not carried over.
            if (!_commandLine.Contains("Image") && images.Count > 0 && images.All(i => i.IsEarlierOutput))
            {
                if (!_commandLine.Contains(nameof(Seed))) Seed = null;
                if (!_commandLine.Contains(nameof(Endpoint))) Endpoint = null;
                if (!_commandLine.Contains(nameof(Prompt)))
                {
                    WriteError(Errors.PromptRequired.Record("A piped result is used as the input image; its prompt is not reused. Give the new prompt with -Prompt.", Prompt));
                    return null;
                }
            }

            var endpointText = string.IsNullOrWhiteSpace(Endpoint) ? DefaultEndpoint : Endpoint!.Trim();
            var target = (object)Prompt;
            if (!EndpointId.TryParse(endpointText, out var endpoint, out var endpointError))
                errors.Add(Errors.InvalidEndpoint.Record(endpointError!, endpointText));
            var profile = endpoint?.Profile;
            // An id that does not parse is already an error; the rest is checked as the command's own default endpoint.
            var checkedAs = endpoint == null ? EndpointProfiles.Find(DefaultEndpoint) ?? EndpointProfiles.V5LiteEdit : profile;
            var kindMismatch = profile != null && !AcceptsEitherKind && profile.Kind != CommandKind;
            if (kindMismatch)
                errors.Add(Errors.EndpointKindMismatch.Record(profile!.Kind == EndpointKind.Edit
                    ? $"{profile.Name} ({profile.Id}) edits input images; {MyInvocation.MyCommand.Name} makes images from a prompt alone. Use Invoke-SeedreamEdit or Submit-SeedreamJob with -Image for it."
                    : $"{profile.Name} ({profile.Id}) makes images from a prompt alone; {MyInvocation.MyCommand.Name} edits input images. Use New-SeedreamImage (or Submit-SeedreamJob without -Image) for it.", target));
            if (CommandKind == EndpointKind.TextToImage && images.Count > 0)
            {
                // -Image, or an Image column of a CSV row: refused, never silently dropped from a paid request.
                errors.Add(Errors.FieldNotSupported.Record($"{MyInvocation.MyCommand.Name} makes images from a prompt alone and takes no input image (-Image, or an Image column in the input). To edit images, use Invoke-SeedreamEdit.", target));
                images.Clear();
            }
            var request = new EditRequest
            {
                Prompt = Prompt,
                NumImages = NumImages,
                MaxImages = MaxImages,
                Seed = Seed,
                SyncMode = MyInvocation.BoundParameters.ContainsKey(nameof(SyncMode)) ? SyncMode.IsPresent : (bool?)null,
                EnableSafetyChecker = EnableSafetyChecker,
                // Enum values in any case, as PowerShell's own sets take them; fal gets the schema's spelling.
                EnhancePromptMode = Canonical(EnhancePromptMode, checkedAs?.EnhancePromptModes),
                OutputFormat = Canonical(OutputFormat, checkedAs?.OutputFormats),
            };
            if (ImageSize != null)
            {
                // An endpoint id that does not parse is already an error; its size is read as 5.0 Lite Edit's.
                try { request.ImageSize = ImageSizeReader.Read(ImageSize, checkedAs); }
                catch (FormatException ex)
                {
                    errors.Add(Errors.ImageSizeInvalid.Record(ex.Message, ImageSize));
                }
            }
            try { request.AdditionalInput = PlainValue.Dictionary(AdditionalInput); }
            catch (ArgumentException ex)
            {
                errors.Add(Errors.AdditionalInputInvalid.Record("AdditionalInput cannot be sent as JSON: " + ex.Message, AdditionalInput));
            }

            Dictionary<string, string>? headers = null;
            if (Header != null)
            {
                headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in Header)
                {
                    var name = Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                    if (!name.StartsWith("x-fal-", StringComparison.OrdinalIgnoreCase) || name.Equals("x-fal-target-url", StringComparison.OrdinalIgnoreCase))
                    {
                        errors.Add(Errors.HeaderInvalid.Record($"Only x-fal-* headers can be passed with -Header; '{name}' is not allowed.", name));
                        continue;
                    }
                    headers[name] = Convert.ToString(e.Value is PSObject p ? p.BaseObject : e.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }
            if (StartTimeoutSec.HasValue && !(StartTimeoutSec.Value > 1))
                errors.Add(Errors.StartTimeoutInvalid.Record($"StartTimeoutSec must be more than 1 second; {StartTimeoutSec.Value} is not.", StartTimeoutSec.Value));

            // Wildcards in local paths expand as Send-SeedreamFile -Path expands them; then more
            // than 10 images keeps the last 10 (the API's own rule), before anything is uploaded.
            var imageErrors = new List<ErrorRecord>();
            images = ImageResolver.ExpandWildcards(this, images, imageErrors);
            var maxInputs = profile == null ? EditRequest.MaxInputImages : profile.MaxInputImages;
            if (maxInputs > 0 && images.Count > maxInputs)
            {
                var dropped = images.Count - maxInputs;
                WriteWarning($"{images.Count} images were given; the model uses at most {maxInputs}, so only the last {maxInputs} are sent ({(dropped == 1 ? "the first one is" : $"the first {dropped} are")} ignored, and not uploaded).");
                images = images.Skip(dropped).ToList();
            }
            var resolved = ImageResolver.Check(this, images, InlineImagesRequested, out var checkErrors);
            imageErrors.AddRange(checkErrors);
            errors.AddRange(imageErrors);
            request.ImageUrls = resolved.Select(r => r.Url ?? r.Path!).ToList();
            // Image references were checked one by one above (local files included); a record whose
            // images were all refused already has its specific error, not also "no image".
            var profiled = endpoint == null || profile != null;
            foreach (var p in request.Validate(checkedAs, CommandKind, checkImageUrls: false))
                if (!(p.Code == "ImageRequired" && (imageErrors.Count > 0 || kindMismatch))) errors.Add(ErrorFactory.FromProblem(p, target));
            if (errors.Count > 0)
            {
                WriteError(OneError(errors, target));
                return null;
            }

            var overrides = request.AdditionalKnownFields();
            if (profile != null && request.ImageSize?.ScaledFor(profile) is (int w, int h) && !overrides.Any(o => o.Field == "image_size"))
            {
                var requested = request.ImageSize.Width!.Value * (long)request.ImageSize.Height!.Value;
                WriteWarning(requested < profile.MinPixels
                    ? $"The custom size {request.ImageSize} has {requested:N0} pixels, fewer than the model's minimum of {profile.MinPixels:N0} ({EndpointProfile.Square(profile.MinPixels!.Value)}): it will be scaled up, keeping the aspect ratio, to about {w}x{h}."
                    : $"The custom size {request.ImageSize} has {requested:N0} pixels, more than the model's maximum of {profile.MaxPixels:N0} ({EndpointProfile.Square(profile.MaxPixels!.Value)}): it will be scaled down, keeping the aspect ratio, to about {w}x{h}.");
            }
            foreach (var (field, overridesParameter) in overrides)
                WriteWarning(overridesParameter
                    ? $"-AdditionalInput sets '{field}', overriding -{ParameterFor(field)}: its value is sent as given, and fal checks it."
                    : $"-AdditionalInput sets '{field}' (the field of -{ParameterFor(field)}): its value is sent as given, and fal checks it.");
            if (!profiled)
                WriteVerbose($"The module has no schema for '{endpoint!.Full}': the request is sent as given, with only the checks that hold for every fal endpoint.");

            return new PreparedEdit(endpoint!, request, resolved, new SubmitOptions
            {
                Priority = Priority,
                StartTimeout = StartTimeoutSec.HasValue ? TimeSpan.FromSeconds(StartTimeoutSec.Value) : (TimeSpan?)null,
                Headers = headers,
            });
        }

        private static string? Canonical(string? value, string[]? allowed) =>
            value == null || allowed == null ? value : allowed.FirstOrDefault(a => string.Equals(a, value.Trim(), StringComparison.OrdinalIgnoreCase)) ?? value;

        private static string ParameterFor(string field) => field switch
        {
            "prompt" => nameof(Prompt),
            "image_urls" => "Image",
            "image_size" => nameof(ImageSize),
            "num_images" => nameof(NumImages),
            "max_images" => nameof(MaxImages),
            "seed" => nameof(Seed),
            "sync_mode" => nameof(SyncMode),
            "enable_safety_checker" => nameof(EnableSafetyChecker),
            "enhance_prompt_mode" => nameof(EnhancePromptMode),
            "output_format" => nameof(OutputFormat),
            _ => field,
        };

        /// <summary>
        /// The first error of a record, with the others (if any) named in its message. Its target is
        /// the record's prompt whatever the problem, so a batch's failures can be matched to their
        /// rows (the message names the offending value).
        /// </summary>
        private static ErrorRecord OneError(List<ErrorRecord> errors, object target)
        {
            var first = errors[0];
            var exception = errors.Count == 1
                ? first.Exception
                : new SeedreamException(first.Exception.Message + " Also: " + string.Join(" ", errors.Skip(1).Select(e => e.Exception.Message)), first.Exception);
            return new ErrorRecord(exception, first.FullyQualifiedErrorId, first.CategoryInfo.Category, target) { ErrorDetails = first.ErrorDetails };
        }

        /// <summary>The ShouldProcess target (naming the record by its prompt and inputs) and action, with its estimated cost.</summary>
        protected (string Target, string Action) Describe(PreparedEdit edit, string verb)
        {
            var prompt = edit.Request.Prompt ?? string.Empty;
            if (prompt.Length > 60) prompt = prompt.Substring(0, 57) + "...";
            var names = edit.Images.Take(3).Select(i => ShortName(i.Label)).ToList();
            if (edit.Images.Count > 3) names.Add($"{edit.Images.Count - 3} more");
            var target = names.Count == 0 && (edit.Endpoint.Profile?.Kind ?? CommandKind) == EndpointKind.TextToImage
                ? $"{edit.Endpoint.Full}: '{prompt}'"
                : $"{edit.Endpoint.Full}: '{prompt}' on {(names.Count == 0 ? "no image" : string.Join(", ", names))}";
            var action = $"{verb} ({Pricing.Describe(edit.Endpoint.Full, edit.Request)})";
            return (target, action);
        }

        /// <summary>
        /// A failed edit's error: its target stays the request id (when fal named one), and its
        /// message also says which edit it was (prompt and input files), so a batch's failures can
        /// be matched to their rows.
        /// </summary>
        protected void WriteEditFailure(Exception ex, string edit)
        {
            var record = ErrorFactory.FromException(ex, edit);
            var message = record.ErrorDetails?.Message ?? record.Exception.Message;
            var action = record.ErrorDetails?.RecommendedAction;
            record.ErrorDetails = new ErrorDetails(message + Environment.NewLine + "Edit: " + edit) { RecommendedAction = action };
            WriteError(record);
        }

        private static string ShortName(string label)
        {
            if (label.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return label;
            var cut = label.TrimEnd('/', '\\');
            var slash = cut.LastIndexOfAny(new[] { '/', '\\' });
            var name = slash >= 0 ? cut.Substring(slash + 1) : cut;
            var query = name.IndexOf('?');
            return query > 0 ? name.Substring(0, query) : name;
        }

        private int _whatIfCount;
        private int _whatIfHeld;
        private decimal _whatIfCost;
        private bool _whatIfCostUnknown;

        /// <summary>
        /// ShouldProcess for one record; under -WhatIf it also adds the record's estimated cost to
        /// the total that <see cref="WriteWhatIfTotal"/> reports at the end.
        /// </summary>
        protected bool ShouldProcessEdit(PreparedEdit edit, string verb)
        {
            var (target, action) = Describe(edit, verb);
            var held = _preview?.Claim(edit);
            if (held?.State == JournalState.Completed || held?.State == JournalState.Submitted)
            {
                _whatIfHeld++;
                return ShouldProcess(target, held.State == JournalState.Completed
                    ? "Replay the result from the journal (nothing submitted, no cost)"
                    : $"Collect request {held.RequestId} recorded in the journal (already submitted, no new cost)");
            }
            if (ShouldProcess(target, action)) return true;
            if (IsWhatIf)
            {
                _whatIfCount++;
                var per = Pricing.PerImage(edit.Endpoint.Full, edit.Request);
                if (per == null) _whatIfCostUnknown = true;
                else _whatIfCost += per.Value * edit.Request.MaxImageCount;
            }
            return false;
        }

        private bool IsWhatIf =>
            MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? (w is SwitchParameter sw ? sw.IsPresent : LanguagePrimitives.IsTrue(w))
            : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

        /// <summary>Under -WhatIf with several records, one closing line with the batch's estimated total.</summary>
        protected void WriteWhatIfTotal()
        {
            if (_whatIfCount + _whatIfHeld < 2) return;
            var total = string.Format(System.Globalization.CultureInfo.InvariantCulture, "${0:0.000}", _whatIfCost);
            var noun = CommandKind == EndpointKind.Edit ? "edit" : "image request";
            var count = _whatIfCount == 1 ? $"1 {noun}" : $"{_whatIfCount} {noun}s";
            var edits = _whatIfHeld == 0 ? count : $"{count} to submit ({_whatIfHeld} more already in the journal)";
            ShouldProcess(edits, _whatIfCostUnknown
                ? $"Total: estimated cost at least {total} (some endpoints have no known price)"
                : $"Total: estimated cost up to {total}");
        }
    }

    /// <summary>A request ready to send, with the images still to resolve.</summary>
    public sealed class PreparedEdit(EndpointId endpoint, EditRequest request, IReadOnlyList<ResolvedImage> images, SubmitOptions submitOptions)
    {
        public EndpointId Endpoint { get; } = endpoint;
        public EditRequest Request { get; } = request;
        public IReadOnlyList<ResolvedImage> Images { get; } = images;
        public SubmitOptions SubmitOptions { get; } = submitOptions;
        /// <summary>The inputs as results name them (<see cref="EditResult.InputImages"/>).</summary>
        public string[] InputLabels => Images.Select(i => i.Label).ToArray();

        /// <summary>The edit as the workflow takes it (the same request and options, not copies).</summary>
        internal EditSpec ToSpec() => new EditSpec(Endpoint, Request, Images, SubmitOptions);
    }
}
