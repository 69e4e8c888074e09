using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Protocol;
using Seedream.Storage;

namespace Seedream.Commands.Internal
{
    /// <summary>One image to save: where its bytes are and what the result said about them.</summary>
    internal sealed class SaveItem
    {
        /// <summary>http(s) URL or data URI.</summary>
        public string Source { get; set; } = string.Empty;
        public string? ContentType { get; set; }
        public long? ExpectedSize { get; set; }
        /// <summary>The server's file name, unsanitised.</summary>
        public string? ServerFileName { get; set; }
        public string? RequestId { get; set; }
        public int Index { get; set; }
        public long? Seed { get; set; }
        /// <summary>The Seedream.Image to stamp with LocalPath once saved.</summary>
        public Image? Image { get; set; }
        public object? Target { get; set; }
        /// <summary>The first input image of the edit that made it, for {InputName}.</summary>
        public string? InputName { get; set; }
        public bool IsDataUri => Source.StartsWith("data:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A save that failed for a reason with its own ErrorId.</summary>
    internal sealed class SaveException : Exception
    {
        public SaveException(ErrorKind kind, string message, Exception? inner = null) : base(message, inner)
        {
            Kind = kind;
        }

        public ErrorKind Kind { get; }
    }

    /// <summary>
    /// Turns pipeline objects into <see cref="SaveItem"/>s: EditResult (all images), Image, File,
    /// URL or data-URI strings, Uri, and look-alike objects with Images or Url properties (for
    /// example results read back with ConvertFrom-Json).
    /// </summary>
    internal sealed class SaveInputs
    {
        private int _looseIndex;

        public void Expand(object? input, List<SaveItem> items, List<ErrorRecord> errors) => Expand(input, null, null, items, errors, 0);

        private void Expand(object? input, string? requestId, long? seed, List<SaveItem> items, List<ErrorRecord> errors, int depth)
        {
            var value = input is PSObject p ? p.BaseObject : input;
            switch (value)
            {
                case null:
                    errors.Add(Errors.SaveInputInvalid.Record("An empty value cannot be saved.", null));
                    return;
                case EditResult result:
                    foreach (var image in result.Images) items.Add(FromImage(image, result.Seed, result, result.InputImages.FirstOrDefault()));
                    return;
                case Image image:
                    items.Add(FromImage(image, image.Seed, image, null));
                    return;
                case File file:
                    AddUrl(file.Url, file, items, errors, file.ContentType, file.FileSize > 0 ? file.FileSize : (long?)null, file.FileName, null, null, seed);
                    return;
                case string text:
                    AddUrl(text, input, items, errors, null, null, null, requestId, null, seed);
                    return;
                case Uri uri:
                    AddUrl(uri.OriginalString, input, items, errors, null, null, null, requestId, null, seed);
                    return;
            }
            if (value is IEnumerable list && depth < 3)
            {
                foreach (var element in list) Expand(element, requestId, seed, items, errors, depth + 1);
                return;
            }

            // Look-alikes: anything with Images (a result) or Url (an image or file), any casing or snake_case.
            var pso = PSObject.AsPSObject(input!);
            var images = Property(pso, "Images");
            if (images != null && depth < 3)
            {
                var rid = Text(pso, "RequestId", "request_id") ?? requestId;
                var s = Number(pso, "Seed") ?? seed;
                foreach (var element in images is IEnumerable e && !(images is string) ? e : new[] { images })
                    Expand(element, rid, s, items, errors, depth + 1);
                return;
            }
            var url = Text(pso, "Url");
            if (url != null)
            {
                var index = Number(pso, "Index");
                AddUrl(url, input, items, errors, Text(pso, "ContentType", "content_type"), Number(pso, "FileSize", "file_size"),
                    Text(pso, "FileName", "file_name"), Text(pso, "RequestId", "request_id") ?? requestId, index.HasValue ? (int)index.Value : (int?)null, seed);
                return;
            }
            errors.Add(Errors.SaveInputInvalid.Record($"A {value.GetType().Name} cannot be saved: pass a Seedream.EditResult, a Seedream.Image, a URL or a data URI.", input));
        }

        private static SaveItem FromImage(Image image, long? seed, object target, string? inputName) => new SaveItem
        {
            InputName = inputName,
            Source = image.Url,
            ContentType = image.ContentType,
            ExpectedSize = image.FileSize,
            ServerFileName = image.FileName,
            RequestId = image.RequestId,
            Index = image.Index,
            Seed = seed,
            Image = image,
            Target = target,
        };

        private void AddUrl(string url, object? target, List<SaveItem> items, List<ErrorRecord> errors, string? contentType, long? size, string? fileName, string? requestId, int? index, long? seed)
        {
            var problem = InputImage.CheckUrl(url);
            if (problem != null)
            {
                var shown = url.Length <= 80 ? url : url.Substring(0, 77) + "...";
                errors.Add(Errors.ForCode(problem.Value.Code).Record($"Cannot save '{shown}': {problem.Value.Message}", target));
                return;
            }
            items.Add(new SaveItem
            {
                Source = url.Trim(),
                ContentType = contentType,
                ExpectedSize = size,
                ServerFileName = fileName,
                RequestId = requestId,
                // Loose URLs have no position in a result: number them in arrival order.
                Index = index ?? (requestId == null ? _looseIndex++ : 0),
                Seed = seed,
                Target = target,
            });
        }

        private static object? Property(PSObject o, params string[] names)
        {
            foreach (var n in names)
            {
                var v = o.Properties[n]?.Value;
                if (v != null) return v is PSObject p ? p.BaseObject : v;
            }
            return null;
        }

        private static string? Text(PSObject o, params string[] names) => Property(o, names) is object v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;

        private static long? Number(PSObject o, params string[] names)
        {
            var v = Property(o, names);
            if (v == null) return null;
            try { return (long)LanguagePrimitives.ConvertTo(v, typeof(long), System.Globalization.CultureInfo.InvariantCulture); }
            catch (PSInvalidCastException) { return null; }
        }
    }

    /// <summary>
    /// Saves images to disk safely: names from a template with every server-provided part
    /// sanitised and the final path kept inside the destination; bytes go to a temp file in the
    /// same folder and are renamed into place only when complete and of the promised size, so a
    /// failed or cancelled download never leaves a partial file under the final name; an existing
    /// file is replaced only with -Force; the API key is never sent with a download.
    /// </summary>
    internal sealed class ImageSaver
    {
        public const int DefaultMaximumSizeMB = 512;

        private readonly FalClient _client;
        private readonly NameTemplate _template;
        private readonly bool _force;
        private readonly long _maxBytes;

        private readonly UniqueNames? _unique;

        // With `unique`, a name that is taken (on disk, or earlier in the same command) becomes the next free one instead of an error.
        public ImageSaver(FalClient client, NameTemplate template, bool force, long maxBytes, UniqueNames? unique = null)
        {
            _client = client;
            _template = template;
            _force = force;
            _maxBytes = maxBytes;
            _unique = unique;
        }

        /// <summary>
        /// The path the image will most likely get, before anything is downloaded (for
        /// ShouldProcess and the existing-file check). The server's content type can still change
        /// the extension.
        /// </summary>
        public string Predict(SaveItem item, string folder, string? explicitPath)
        {
            if (explicitPath != null) return explicitPath;
            var ext = FromType(item.ContentType) ?? (item.IsDataUri ? FromType(DataUri.MediaType(item.Source)) : null) ?? UrlExtension(item.Source);
            return Place(item, folder, ext, item.ServerFileName ?? UrlFileName(item.Source));
        }

        /// <summary>Downloads (or decodes) the image and moves it into place; returns the final path.</summary>
        /// <exception cref="SaveException">A refusal with its own ErrorId; other exceptions are mapped by <see cref="ToErrorRecord"/>.</exception>
        public async Task<string> SaveAsync(SaveItem item, string folder, string? explicitPath, Action<long, long?>? progress, CancellationToken ct)
        {
            var predicted = Predict(item, folder, explicitPath);
            var directory = Path.GetDirectoryName(predicted)!;
            CreateFolder(directory);
            // Same folder as the final file, so the closing rename is atomic; a dot name keeps it out of sight.
            var temp = Path.Combine(directory, ".seedream-" + Guid.NewGuid().ToString("N").Substring(0, 16) + ".part");
            try
            {
                string? headerType = null, suggestedName = null, finalUrl = item.Source;
                if (item.IsDataUri)
                {
                    await WriteDataUriAsync(item, temp, progress, ct).ConfigureAwait(false);
                }
                else
                {
                    var download = await _client.DownloadAsync(item.Source, temp, item.ExpectedSize, _maxBytes, progress, ct).ConfigureAwait(false);
                    headerType = download.ContentType;
                    suggestedName = download.SuggestedFileName;
                    finalUrl = download.FinalUrl;
                }
                ct.ThrowIfCancellationRequested();

                var final = explicitPath;
                if (final == null)
                {
                    var ext = FromType(headerType) ?? FromType(item.ContentType)
                        ?? (item.IsDataUri ? FromType(DataUri.MediaType(item.Source)) : null)
                        ?? Sniff(temp) ?? UrlExtension(finalUrl) ?? UrlExtension(item.Source);
                    final = Place(item, folder, ext, item.ServerFileName ?? suggestedName ?? UrlFileName(finalUrl));
                    if (_unique != null) final = _unique.Reserve(final);
                    CreateFolder(Path.GetDirectoryName(final)!);
                }
                Commit(temp, final);
                if (item.Image != null) item.Image.LocalPath = final;
                return final;
            }
            finally
            {
                // After a successful rename the temp name is gone; otherwise it holds a partial body.
                TryDelete(temp);
            }
        }

        /// <summary>Saves every image of a result (for -OutFolder); failures become ErrorRecords, the rest get LocalPath.</summary>
        public async Task<List<ErrorRecord>> SaveResultAsync(EditResult result, string folder, Action<SaveItem, long, long?>? progress, CancellationToken ct)
        {
            var errors = new List<ErrorRecord>();
            var items = new List<SaveItem>();
            new SaveInputs().Expand(result, items, errors);
            foreach (var item in items)
            {
                try
                {
                    var predicted = Predict(item, folder, null);
                    if (!_force && _unique == null && (System.IO.File.Exists(predicted) || Directory.Exists(predicted)))
                        throw Exists(predicted);
                    await SaveAsync(item, folder, null, progress == null ? null : (Action<long, long?>)((d, t) => progress(item, d, t)), ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    errors.Add(ToErrorRecord(ex, item.Target));
                }
            }
            return errors;
        }

        public static SaveException Exists(string path) =>
            new SaveException(Errors.FileExists, $"'{path}' already exists. Use -Force to overwrite it, or another -NameTemplate / -Destination.");

        /// <summary>Maps a save failure to an ErrorRecord with a specific ErrorId.</summary>
        public static ErrorRecord ToErrorRecord(Exception ex, object? target)
        {
            switch (ex)
            {
                case SaveException save:
                    return save.Kind.Record(save, target);
                case FalDownloadException download:
                    return download.Reason switch
                    {
                        DownloadFailure.TooLarge => Errors.DownloadTooLarge.Record(download, target),
                        DownloadFailure.SizeMismatch => Errors.DownloadSizeMismatch.Record(download, target),
                        _ => Errors.DownloadFailed.Record(download, target),
                    };
                case FalApiException api when api.InnerException is DownloadInterruptedException:
                    return Errors.DownloadIncomplete.Record(api, target);
                case FalApiException api:
                    var category = api.Kind switch
                    {
                        FalErrorKind.NotFound => ErrorCategory.ObjectNotFound,
                        FalErrorKind.Unauthorized => ErrorCategory.PermissionDenied,
                        FalErrorKind.Forbidden => ErrorCategory.PermissionDenied,
                        FalErrorKind.Connection => ErrorCategory.ConnectionError,
                        FalErrorKind.Protocol => ErrorCategory.ProtocolError,
                        _ => ErrorCategory.ResourceUnavailable,
                    };
                    return Errors.DownloadFailed.Record(api, target, category);
                case UnsafePathException unsafePath:
                    return Errors.UnsafePath.Record(unsafePath, target);
                case UnauthorizedAccessException _:
                case IOException _:
                    return Errors.FileWriteFailed.Record("The image could not be written: " + ex.Message, target, ex);
                case ArgumentException arg:
                    return Errors.ImageUrlInvalid.Record(arg, target);
                default:
                    return ErrorFactory.FromException(ex, target);
            }
        }

        private string Place(SaveItem item, string folder, string? ext, string? fileName) =>
            SafePath.Combine(folder, _template.Render(new NameValues
            {
                RequestId = item.RequestId,
                Index = item.Index,
                FileName = fileName,
                Seed = item.Seed,
                Extension = ext,
                InputName = item.InputName,
            }));

        private async Task WriteDataUriAsync(SaveItem item, string temp, Action<long, long?>? progress, CancellationToken ct)
        {
            var declared = DataUri.DecodedLength(item.Source);
            if (declared.HasValue && declared.Value > _maxBytes)
                throw new FalDownloadException(DownloadFailure.TooLarge, $"The data URI holds {declared.Value:N0} bytes, more than the {_maxBytes:N0}-byte limit.");
            byte[] bytes;
            try { bytes = DataUri.Decode(item.Source); }
            catch (FormatException ex) { throw new SaveException(Errors.DataUriInvalid, ex.Message, ex); }
            if (item.ExpectedSize.HasValue && bytes.Length != item.ExpectedSize.Value)
                throw new FalDownloadException(DownloadFailure.SizeMismatch, $"The data URI holds {bytes.Length:N0} bytes but the result said the file has {item.ExpectedSize.Value:N0}.");
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await fs.WriteAsync(bytes, 0, bytes.Length, ct).ConfigureAwait(false);
                await fs.FlushAsync(ct).ConfigureAwait(false);
            }
            progress?.Invoke(bytes.Length, bytes.Length);
        }

        private void Commit(string temp, string final)
        {
            if (Directory.Exists(final))
                throw new SaveException(Errors.FileExists, $"'{final}' is a folder; an image cannot be saved under that name.");
            if (System.IO.File.Exists(final))
            {
                if (!_force) throw Exists(final);
                try
                {
                    // One rename: readers see the old file or the new one, never a mix.
                    System.IO.File.Replace(temp, final, null);
                    return;
                }
                catch (FileNotFoundException) when (!System.IO.File.Exists(final))
                {
                    // Removed meanwhile: fall through to a plain move.
                }
            }
            try
            {
                // Move never overwrites, so a file created meanwhile by someone else is kept.
                System.IO.File.Move(temp, final);
            }
            catch (IOException) when (System.IO.File.Exists(final) && !_force)
            {
                throw Exists(final);
            }
        }

        private static void CreateFolder(string directory)
        {
            try { Directory.CreateDirectory(directory); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw new SaveException(Errors.DestinationUnwritable, $"The folder '{directory}' cannot be created: {ex.Message}", ex);
            }
        }

        private static string? FromType(string? contentType)
        {
            var ext = FileTypes.ExtensionFor(contentType);
            return ext == null ? null : ext.TrimStart('.');
        }

        private static string? Sniff(string path)
        {
            try
            {
                var header = new byte[FileTypes.HeaderLength];
                int n;
                using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
                    n = fs.Read(header, 0, header.Length);
                return FromType(FileTypes.Sniff(header, n));
            }
            catch (IOException) { return null; }
        }

        private static string? UrlExtension(string? url)
        {
            var name = UrlFileName(url);
            if (name == null) return null;
            var dot = name.LastIndexOf('.');
            return dot > 0 ? SafeFileName.CleanExtension(name.Substring(dot + 1)) : null;
        }

        private static string? UrlFileName(string? url)
        {
            if (url == null || url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) return null;
            var segment = Uri.UnescapeDataString(u.AbsolutePath.TrimEnd('/'));
            var slash = segment.LastIndexOf('/');
            var name = slash >= 0 ? segment.Substring(slash + 1) : segment;
            return name.Length == 0 ? null : name;
        }

        private static void TryDelete(string path)
        {
            try { System.IO.File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The file names one command has given out. A name already taken, on disk or earlier in the
    /// same command, becomes the next free one: "beach-0.png", then "beach-0-2.png", "beach-0-3.png".
    /// </summary>
    internal sealed class UniqueNames
    {
        private readonly HashSet<string> _taken = new HashSet<string>(Path.DirectorySeparatorChar == '\\' ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

        public string Reserve(string path)
        {
            lock (_taken)
            {
                var directory = Path.GetDirectoryName(path) ?? string.Empty;
                var stem = Path.GetFileNameWithoutExtension(path);
                var extension = Path.GetExtension(path);
                var candidate = path;
                for (var n = 2; _taken.Contains(candidate) || System.IO.File.Exists(candidate) || Directory.Exists(candidate); n++)
                    candidate = Path.Combine(directory, stem + "-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + extension);
                _taken.Add(candidate);
                return candidate;
            }
        }
    }
}
