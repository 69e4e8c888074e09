using Seedream.Storage;

namespace Seedream.Workflow
{
    /// <summary>
    /// One image to save: the <see cref="Seedream.Image"/> itself (its URL or data URI, type, size,
    /// server name, request, index and seed) and what the caller was given, for its error reports.
    /// </summary>
    public sealed class SaveItem(Image image, object? target = null, string? inputName = null)
    {
        /// <summary>The image; it gets LocalPath once saved.</summary>
        public Image Image { get; } = image ?? throw new ArgumentNullException(nameof(image));
        /// <summary>What the caller was given; the writer never looks at it.</summary>
        public object? Target { get; } = target;
        /// <summary>The first input image of the edit that made it, for {InputName}.</summary>
        public string? InputName { get; } = inputName;

        /// <summary>Every image of a result; each names the result as its target.</summary>
        public static IEnumerable<SaveItem> FromResult(EditResult result) => result.Images.Select(image =>
        {
            // The parser stamps each image with the result's seed; a result built by hand may not have.
            image.Seed ??= result.Seed;
            return new SaveItem(image, result, result.InputImages.FirstOrDefault());
        });
    }

    /// <summary>Why the writer refused to save an image (download refusals are <see cref="FalDownloadException"/>).</summary>
    public enum SaveFailure
    {
        /// <summary>The name is taken (a file without overwrite, or a folder).</summary>
        Exists,
        /// <summary>The destination folder cannot be created.</summary>
        DestinationUnwritable,
        /// <summary>A data URI that does not decode.</summary>
        DataUriInvalid,
    }

    /// <summary>A save the writer refused; nothing was left on disk.</summary>
    public sealed class ImageSaveException(SaveFailure reason, string message, Exception? inner = null) : Exception(message, inner)
    {
        public SaveFailure Reason { get; } = reason;
    }

    /// <summary>An image of a result that could not be saved, and why.</summary>
    public sealed class SaveError(SaveItem item, Exception error)
    {
        public SaveItem Item { get; } = item;
        public Exception Error { get; } = error;
    }

    /// <summary>
    /// Saves images to disk safely: names from a template with every server-provided part
    /// sanitised and the final path kept inside the destination; bytes go to a temp file in the
    /// same folder and are renamed into place only when complete and of the promised size, so a
    /// failed or cancelled download never leaves a partial file under the final name (nor the temp
    /// file); an existing file is replaced only when overwriting; downloads never carry the API key.
    /// </summary>
    public sealed class ImageWriter
    {
        public const int DefaultMaximumSizeMB = 512;
        public const long DefaultMaximumBytes = DefaultMaximumSizeMB * 1024L * 1024L;

        private readonly FalClient _client;
        private readonly NameTemplate _template;
        private readonly bool _force;
        private readonly long _maxBytes;
        private readonly UniqueNames? _unique;

        /// <summary>
        /// With <paramref name="force"/> an existing file is replaced; with <paramref name="unique"/> a
        /// name that is taken (on disk, or earlier through the same set) becomes the next free one instead of an error.
        /// </summary>
        public ImageWriter(FalClient client, NameTemplate template, bool force = false, long maxBytes = DefaultMaximumBytes, UniqueNames? unique = null)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _template = template ?? throw new ArgumentNullException(nameof(template));
            _force = force;
            _maxBytes = maxBytes;
            _unique = unique;
        }

        /// <summary>
        /// The path the image will most likely get, before anything is downloaded (for
        /// confirmation and the existing-file check). The server's content type can still change
        /// the extension.
        /// </summary>
        /// <exception cref="UnsafePathException">The name would leave the folder.</exception>
        public string Predict(SaveItem item, string folder, string? explicitPath)
        {
            if (explicitPath != null) return explicitPath;
            var image = item.Image;
            var ext = FromType(image.ContentType) ?? (image.IsDataUri ? FromType(DataUri.MediaType(image.Url)) : null) ?? UrlExtension(image.Url);
            return Place(item, folder, ext, image.FileName ?? UrlFileName(image.Url));
        }

        /// <summary>Downloads (or decodes) the image and moves it into place; returns the final path and stamps <see cref="SaveItem.Image"/>.</summary>
        /// <exception cref="ImageSaveException">Refused by the writer.</exception>
        /// <exception cref="FalDownloadException">Refused download (too large, size mismatch, bad redirect).</exception>
        /// <exception cref="FalApiException">The download failed (its inner exception is a <see cref="DownloadInterruptedException"/> when the body broke off).</exception>
        public async Task<string> SaveAsync(SaveItem item, string folder, string? explicitPath, Action<long, long?>? progress, CancellationToken ct)
        {
            var predicted = Predict(item, folder, explicitPath);
            var directory = Path.GetDirectoryName(predicted)!;
            CreateFolder(directory);
            // Same folder as the final file, so the closing rename is atomic; a dot name keeps it out of sight.
            var temp = Path.Combine(directory, TempPrefix + Guid.NewGuid().ToString("N").Substring(0, 16) + TempSuffix);
            try
            {
                var image = item.Image;
                string? headerType = null, suggestedName = null, finalUrl = image.Url;
                if (image.IsDataUri)
                {
                    await WriteDataUriAsync(item, temp, progress, ct).ConfigureAwait(false);
                }
                else
                {
                    var download = await _client.DownloadAsync(image.Url, temp, image.FileSize, _maxBytes, progress, ct).ConfigureAwait(false);
                    headerType = download.ContentType;
                    suggestedName = download.SuggestedFileName;
                    finalUrl = download.FinalUrl;
                }
                ct.ThrowIfCancellationRequested();

                var final = explicitPath;
                if (final == null)
                {
                    var ext = FromType(headerType) ?? FromType(image.ContentType)
                        ?? (image.IsDataUri ? FromType(DataUri.MediaType(image.Url)) : null)
                        ?? Sniff(temp) ?? UrlExtension(finalUrl) ?? UrlExtension(image.Url);
                    final = Place(item, folder, ext, image.FileName ?? suggestedName ?? UrlFileName(finalUrl));
                    if (_unique != null) final = _unique.Reserve(final);
                    CreateFolder(Path.GetDirectoryName(final)!);
                }
                Commit(temp, final);
                image.LocalPath = final;
                return final;
            }
            finally
            {
                // After a successful rename the temp name is gone; otherwise it holds a partial body.
                TryDelete(temp);
            }
        }

        /// <summary>The temp files' names: a dot file in the destination folder.</summary>
        public const string TempPrefix = ".seedream-";
        public const string TempSuffix = ".part";

        /// <summary>Saves every image of a result; the saved ones get LocalPath, the others are returned with their errors.</summary>
        public async Task<IReadOnlyList<SaveError>> SaveResultAsync(EditResult result, string folder, Action<SaveItem, long, long?>? progress, CancellationToken ct)
        {
            var errors = new List<SaveError>();
            foreach (var item in SaveItem.FromResult(result))
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
                    errors.Add(new SaveError(item, ex));
                }
            }
            return errors;
        }

        /// <summary>The refusal for a name that is taken.</summary>
        public static ImageSaveException Exists(string path) =>
            new ImageSaveException(SaveFailure.Exists, $"'{path}' already exists. Use -Force to overwrite it, or another -NameTemplate / -Destination.");

        private string Place(SaveItem item, string folder, string? ext, string? fileName) =>
            SafePath.Combine(folder, _template.Render(item.Image, fileName, ext, item.InputName));

        private async Task WriteDataUriAsync(SaveItem item, string temp, Action<long, long?>? progress, CancellationToken ct)
        {
            var declared = DataUri.DecodedLength(item.Image.Url);
            if (declared.HasValue && declared.Value > _maxBytes)
                throw new FalDownloadException(DownloadFailure.TooLarge, $"The data URI holds {declared.Value:N0} bytes, more than the {_maxBytes:N0}-byte limit.");
            byte[] bytes;
            try { bytes = DataUri.Decode(item.Image.Url); }
            catch (FormatException ex) { throw new ImageSaveException(SaveFailure.DataUriInvalid, ex.Message, ex); }
            if (item.Image.FileSize.HasValue && bytes.Length != item.Image.FileSize.Value)
                throw new FalDownloadException(DownloadFailure.SizeMismatch, $"The data URI holds {bytes.Length:N0} bytes but the result said the file has {item.Image.FileSize.Value:N0}.");
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
                throw new ImageSaveException(SaveFailure.Exists, $"'{final}' is a folder; an image cannot be saved under that name.");
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
                throw new ImageSaveException(SaveFailure.DestinationUnwritable, $"The folder '{directory}' cannot be created: {ex.Message}", ex);
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
    /// The file names one batch has given out. A name already taken, on disk or earlier in the
    /// same batch, becomes the next free one: "beach-0.png", then "beach-0-2.png", "beach-0-3.png".
    /// </summary>
    public sealed class UniqueNames
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
