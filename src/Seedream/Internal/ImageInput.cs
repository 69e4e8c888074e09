using System;
using System.IO;

namespace Seedream.Commands
{
    /// <summary>
    /// One value given to -Image. PowerShell converts strings (URLs, data URIs, paths), Uri,
    /// FileInfo, Seedream.Image and Seedream.File into it through the public constructors, so a mix
    /// of all of them can be passed or piped (<c>Seedream.ImageInput</c>).
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
            // A saved result is reused from the remote URL: no upload needed.
            Url = value.Url;
            Source = value;
        }

        public ImageInput(File value)
        {
            Url = (value ?? throw new ArgumentNullException(nameof(value))).Url;
            Source = value;
        }

        /// <summary>Remote URL or data URI, when the input is not a local file.</summary>
        public string? Url { get; }
        /// <summary>Local path as given (relative to the PowerShell location) or a FileInfo's full path.</summary>
        public string? LocalPath { get; }
        /// <summary>True when <see cref="LocalPath"/> is already a file-system path (from a FileInfo).</summary>
        public bool IsProviderPath { get; }
        public bool IsLocal => LocalPath != null;
        public object? Source { get; }

        public override string ToString() => Url ?? LocalPath ?? string.Empty;
    }
}
