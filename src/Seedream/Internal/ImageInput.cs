namespace Seedream.Commands
{
    /// <summary>
    /// One value given to -Image. <see cref="Internal.ImageInputTransformationAttribute"/> turns what
    /// users pass or pipe (strings, Uri, FileInfo, the module's own outputs, and the same objects
    /// after Export-Clixml, Receive-Job or ConvertFrom-Json) into these; the public constructors
    /// also let PowerShell convert the plain types directly.
    /// </summary>
    public sealed class ImageInput
    {
        public ImageInput(string value)
        {
            var text = value ?? string.Empty;
            if (InputImage.LooksLikeUrl(text)) Url = text.Trim();
            else LocalPath = text;
            Source = value;
        }

        public ImageInput(Uri value)
        {
            if (value == null) throw new ArgumentNullException(nameof(value));
            if (value.IsAbsoluteUri && value.IsFile) LocalPath = value.LocalPath;
            else Url = value.IsAbsoluteUri ? value.AbsoluteUri : value.OriginalString;
            Source = value;
        }

        public ImageInput(FileInfo value)
        {
            LocalPath = (value ?? throw new ArgumentNullException(nameof(value))).FullName;
            IsProviderPath = true;
            Source = value;
        }

        public ImageInput(Image value)
        {
            if (value == null) throw new ArgumentNullException(nameof(value));
            // An earlier result is reused from its remote URL: no upload needed.
            Url = value.Url;
            Source = value;
            IsEarlierOutput = true;
        }

        public ImageInput(File value)
        {
            Url = (value ?? throw new ArgumentNullException(nameof(value))).Url;
            Source = value;
        }

        private ImageInput(string? url, string? localPath, bool isProviderPath, bool isEarlierOutput, object? source)
        {
            Url = url;
            LocalPath = localPath;
            IsProviderPath = isProviderPath;
            IsEarlierOutput = isEarlierOutput;
            Source = source;
        }

        /// <summary>The one image a typed object stands for; null for any other object.</summary>
        internal static ImageInput? FromObject(object? value) => value switch
        {
            ImageInput ready => ready,
            Uri uri => new ImageInput(uri),
            FileInfo file => new ImageInput(file),
            // Refused later with its own error (SeedreamImageIsDirectory).
            DirectoryInfo folder => FromFullPath(folder.FullName, folder),
            Image image => new ImageInput(image),
            File uploaded => new ImageInput(uploaded),
            _ => null,
        };

        /// <summary>An image named by URL (or data URI) inside some other object.</summary>
        internal static ImageInput FromUrl(string url, object? source, bool isEarlierOutput) =>
            new ImageInput(url.Trim(), null, false, isEarlierOutput, source);

        /// <summary>A file named by its full file-system path (a FileInfo, live or deserialized).</summary>
        internal static ImageInput FromFullPath(string path, object? source) =>
            new ImageInput(null, path, true, false, source);

        /// <summary>Remote URL or data URI, when the input is not a local file.</summary>
        public string? Url { get; }
        /// <summary>Local path as given (relative to the PowerShell location) or a FileInfo's full path.</summary>
        public string? LocalPath { get; }
        /// <summary>True when <see cref="LocalPath"/> is already a file-system path (from a FileInfo).</summary>
        public bool IsProviderPath { get; }
        public bool IsLocal => LocalPath != null;
        /// <summary>
        /// True for an image of an earlier result (Seedream.Image or Seedream.EditResult, also after
        /// serialization): piping one means "edit this image", never "reuse its prompt or seed".
        /// </summary>
        public bool IsEarlierOutput { get; }
        public object? Source { get; }

        public override string ToString() => Url ?? LocalPath ?? string.Empty;
    }
}
