using System.Globalization;
using System.Management.Automation.Language;
using System.Net.Http.Headers;

namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Uploads local files to fal storage and returns their URLs (Seedream.File).</para>
    /// <para type="description">Files over 90 MB go up in 10 MB parts. Several files upload at once
    /// (-ThrottleLimit); results are written as each upload finishes.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "SeedreamFile", SupportsShouldProcess = true, DefaultParameterSetName = PathSet, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(File))]
    public sealed class SendSeedreamFileCommand : SeedreamCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        private TimeSpan? _expiresIn;

        /// <summary>Files to upload; wildcards are expanded.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
        [Alias("FilePath")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Files to upload, taken literally (no wildcards). FileInfo objects bind here by PSPath or FullName.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath", "FullName", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = Array.Empty<string>();

        /// <summary>Overrides the content type (default: from the file's first bytes, else its extension).</summary>
        [Parameter]
        public string? ContentType { get; set; }

        /// <summary>How long fal keeps the file: never, immediate, 1h, 1d, 7d, 30d, 1y, or a number of seconds.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ExpiresInCompleter))]
        public string? ExpiresIn { get; set; }

        /// <summary>Uploads running at the same time.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        protected override int Throttle => ThrottleLimit;

        protected override void BeginProcessing()
        {
            if (ExpiresIn != null)
            {
                if (!Lifecycle.TryParse(ExpiresIn, out var expires, out var problem))
                    ThrowTerminatingError(Errors.ExpiresInInvalid.Record(problem!, ExpiresIn));
                _expiresIn = expires;
            }
            if (ContentType != null && (!MediaTypeHeaderValue.TryParse(ContentType, out var parsed) || parsed.MediaType.IndexOf('/') <= 0))
                ThrowTerminatingError(Errors.ContentTypeInvalid.Record($"'{ContentType}' is not a content type (expected type/subtype, e.g. image/png).", ContentType));
        }

        protected override void ProcessRecord()
        {
            var literal = ParameterSetName == LiteralPathSet;
            var errors = new List<ErrorRecord>();
            foreach (var given in literal ? LiteralPath : Path)
            {
                foreach (var file in FileSystemPaths.Resolve(this, given, literal, errors))
                {
                    var problem = LocalFileCheck.Upload.Check(file, file, Array.Empty<byte>(), out var info, out _);
                    if (problem != null)
                    {
                        errors.Add(problem);
                        continue;
                    }
                    var length = info.Length;
                    FlushErrors(errors);
                    if (ContentType == null && !LooksLikeImage(file))
                        WriteWarning($"'{file}' is not an image this module recognises (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIC or AVIF). It is uploaded as given, but the model cannot use it as an input image.");
                    if (!ShouldProcess(file, $"Upload {Size(length)} to fal storage")) continue;
                    Start(file, length);
                }
            }
            FlushErrors(errors);
            // Hand out what has finished so far (at most -ThrottleLimit uploads are ever open).
            Drive(ThrottleLimit);
        }

        protected override void EndProcessing() => DriveToEnd();

        private void Start(string file, long length)
        {
            var client = Session.Client;
            var id = ProgressActivities.Next();
            var progress = new TransferProgress(id, "Uploading to fal storage", System.IO.Path.GetFileName(file), PostProgress);
            var options = new UploadOptions { ContentType = ContentType, ExpiresIn = _expiresIn, Progress = progress.Report };
            Enqueue(
                ct => client.UploadFileAsync(file, options, ct),
                uploaded =>
                {
                    WriteProgress(progress.Completed());
                    WriteVerbose($"Uploaded '{file}' ({Size(length)}) to {uploaded.Url}");
                    WriteObject(uploaded);
                },
                ex =>
                {
                    WriteProgress(progress.Completed());
                    WriteError(UploadError(ex, file));
                });
        }

        private static ErrorRecord UploadError(Exception ex, string file) => ex switch
        {
            FileNotFoundException _ => Errors.FileNotFound.Record($"'{file}' disappeared before it was uploaded.", file, ex),
            UnauthorizedAccessException _ => Errors.FileUnreadable.Record($"'{file}' cannot be read: {ex.Message}", file, ex),
            IOException _ => Errors.FileUnreadable.Record($"'{file}' cannot be read: {ex.Message}", file, ex),
            _ => ErrorFactory.FromException(ex, file),
        };

        private static bool LooksLikeImage(string file)
        {
            try
            {
                var header = new byte[FileTypes.HeaderLength];
                using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
                var n = fs.Read(header, 0, header.Length);
                return FileTypes.Sniff(header, n) != null;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Unreadable files get their own error from the upload itself.
                return true;
            }
        }

        private void FlushErrors(List<ErrorRecord> errors)
        {
            foreach (var e in errors) WriteError(e);
            errors.Clear();
        }

        internal static string Size(long bytes) => bytes >= 1024 * 1024
            ? (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB"
            : bytes >= 1024 ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB" : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    /// <summary>
    /// <para type="synopsis">Saves result images (or any image URL / data URI) to disk and returns the files.</para>
    /// <para type="description">Names come from -NameTemplate ({RequestId}-{Index}.{ext} by default);
    /// server-provided names are sanitised and cannot leave the destination. Downloads go to a
    /// temporary file that is renamed into place only when complete. Existing files are kept unless -Force.</para>
    /// </summary>
    [Cmdlet(VerbsData.Save, "SeedreamImage", SupportsShouldProcess = true, DefaultParameterSetName = DestinationSet, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(FileInfo))]
    public sealed class SaveSeedreamImageCommand : SeedreamCmdlet
    {
        private const string DestinationSet = "Destination";
        private const string PathSet = "Path";

        private readonly SaveInputs _inputs = new SaveInputs();
        // One bar for the command: images are saved one at a time.
        private readonly int _bar = ProgressActivities.Next();
        private ImageWriter? _saver;
        private string _folder = string.Empty;
        private string? _file;
        private int _saved;

        /// <summary>Seedream.EditResult (all its images), Seedream.Image, URL strings or data URIs.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [Alias("Image", "Url")]
        public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

        /// <summary>Folder for the files (created when missing); default: the current location.</summary>
        [Parameter(Position = 1, ParameterSetName = DestinationSet)]
        [Alias("OutFolder")]
        public string? Destination { get; set; }

        /// <summary>The file to write, for a single image.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet)]
        [Alias("OutFile", "LiteralPath")]
        public string Path { get; set; } = string.Empty;

        /// <summary>File names: {RequestId}, {Index}, {FileName}, {Seed}, {ext}.</summary>
        [Parameter(ParameterSetName = DestinationSet)]
        public string NameTemplate { get; set; } = Storage.NameTemplate.Default;

        /// <summary>Overwrite existing files.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Refuse images larger than this.</summary>
        [Parameter]
        [ValidateRange(1, 1024 * 1024)]
        public int MaximumSizeMB { get; set; } = ImageWriter.DefaultMaximumSizeMB;

        protected override void BeginProcessing()
        {
            NameTemplate template;
            try { template = Storage.NameTemplate.Parse(NameTemplate); }
            catch (FormatException ex)
            {
                ThrowTerminatingError(Errors.NameTemplateInvalid.Record(ex.Message, NameTemplate, ex));
                return;
            }
            ErrorRecord? error;
            if (ParameterSetName == PathSet)
            {
                _file = FileSystemPaths.ResolveFile(this, Path, out error);
                _folder = _file == null ? string.Empty : System.IO.Path.GetDirectoryName(_file)!;
            }
            else
            {
                _folder = FileSystemPaths.ResolveFolder(this, Destination, out error) ?? string.Empty;
            }
            if (error != null) ThrowTerminatingError(error);
            // Downloads need no key, so saving works without Connect-Seedream.
            _saver = new ImageWriter(SessionStore.DownloadClient(Runspace.DefaultRunspace), template, Force.IsPresent, MaximumSizeMB * 1024L * 1024L);
        }

        protected override void ProcessRecord()
        {
            var items = new List<SaveItem>();
            var errors = new List<ErrorRecord>();
            foreach (var input in InputObject ?? Array.Empty<PSObject>()) _inputs.Expand(input, items, errors);
            foreach (var e in errors) WriteError(e);
            foreach (var item in items) Save(item);
        }

        private void Save(SaveItem item)
        {
            if (_file != null && _saved > 0)
            {
                WriteError(Errors.PathTakesOneImage.Record($"-Path names one file, and '{_file}' was already written; use -Destination to save several images.", item.Target));
                return;
            }
            string predicted;
            try { predicted = _saver!.Predict(item, _folder, _file); }
            catch (UnsafePathException ex)
            {
                WriteError(SaveErrors.ToErrorRecord(ex, item.Target));
                return;
            }
            var exists = System.IO.File.Exists(predicted) || Directory.Exists(predicted);
            if (exists && !Force)
            {
                WriteError(SaveErrors.ToErrorRecord(ImageWriter.Exists(predicted), item.Target));
                return;
            }
            if (!ShouldProcess(predicted, exists ? "Overwrite with the downloaded image" : "Save image")) return;
            var image = item.Image;
            // The file it becomes names it best: every result has an "Image 0".
            var label = System.IO.Path.GetFileName(predicted) + (image.IsDataUri ? " (inline)" : string.Empty);
            var progress = new TransferProgress(_bar, "Saving images", label, PostProgress);
            try
            {
                var final = RunAsync(ct => _saver.SaveAsync(item, _folder, _file, progress.Report, ct));
                _saved++;
                WriteVerbose($"Saved {(image.IsDataUri ? "inline image" : image.Url)} to '{final}'.");
                // A provider item, as Get-Item gives it (PSPath, Mode, the FileSystem view).
                WriteObject(FileItem(final));
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (Exception ex)
            {
                WriteError(SaveErrors.ToErrorRecord(ex, item.Target));
            }
            finally
            {
                WriteProgress(progress.Completed());
            }
        }

        private object FileItem(string path)
        {
            try
            {
                var items = InvokeProvider.Item.Get(new[] { path }, false, true);
                if (items.Count == 1) return items[0];
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderInvocationException || ex is NotSupportedException)
            {
            }
            return new FileInfo(path);
        }
    }

    /// <summary>-ExpiresIn: fal's lifecycle presets.</summary>
    public sealed class ExpiresInCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionHelper.Match(wordToComplete, new[]
            {
                ("never", "keep the file (account default)"), ("immediate", "delete after about a minute"), ("1h", "one hour"),
                ("1d", "one day"), ("7d", "seven days"), ("30d", "thirty days"), ("1y", "one year"),
            });
    }
}
