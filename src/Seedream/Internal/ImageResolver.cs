namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Checks -Image values before anything is sent: remote ones by their URL, local files (resolved
    /// against the PowerShell location: exists, not a directory, readable, non-empty, an image).
    /// Turning them into URLs (uploads, data URIs) is the workflow's (<see cref="InputImages"/>).
    /// </summary>
    internal static class ImageResolver
    {
        /// <summary>fal's toolkit refuses to download input images larger than this.</summary>
        public const long MaxInputImageBytes = 50L * 1024 * 1024;

        public static List<ResolvedImage> Check(PSCmdlet cmdlet, IReadOnlyList<ImageInput> inputs, bool inline, out List<ErrorRecord> errors)
        {
            errors = new List<ErrorRecord>();
            var result = new List<ResolvedImage>();
            foreach (var input in inputs)
            {
                if (!input.IsLocal)
                {
                    var problem = InputImage.CheckUrl(input.Url);
                    if (problem != null)
                    {
                        errors.Add(Errors.ForCode(problem.Value.Code).Record("Image '" + Short(input.Url) + "': " + problem.Value.Message, input.Source));
                        continue;
                    }
                    if (DeclaredNonImage(input.Url!) is string mime)
                    {
                        // The model could only fail on it (image_load_error), after it was sent and queued.
                        errors.Add(Errors.ImageNotAnImage.Record($"Image '{Short(input.Url)}': the data URI holds '{mime}', not an image.", input.Source));
                        continue;
                    }
                    // An upload or an earlier output says its size: the same limit as for a local file.
                    if (KnownSize(input.Source) is long size && size > MaxInputImageBytes)
                    {
                        errors.Add(TooLarge($"Image '{Short(input.Url)}'", size, input.Source));
                        continue;
                    }
                    if (input.Url!.Length > InputImage.LargeDataUriChars && input.Url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
                        cmdlet.WriteWarning($"A data URI of {input.Url.Length / 1024 / 1024} MB is sent inside the request; uploading the file (Send-SeedreamFile) is faster for large images.");
                    result.Add(new ResolvedImage { Url = input.Url });
                    continue;
                }

                string path;
                try
                {
                    path = input.IsProviderPath ? input.LocalPath! : ResolveLiteral(cmdlet, input.LocalPath!);
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is NotSupportedException || ex is ArgumentException || ex is PSInvalidOperationException)
                {
                    errors.Add(Errors.ImagePathInvalid.Record($"Image '{input.LocalPath}' is not a usable file-system path: {ex.Message}", input.Source, ex));
                    continue;
                }
                var error = CheckLocalFile(path, input.Source, out var resolved);
                if (error != null) errors.Add(error);
                else result.Add(resolved!);
            }
            if (inline)
            {
                foreach (var r in result)
                    if (r.IsLocal && r.Length * 4 / 3 > InputImage.LargeDataUriChars)
                        cmdlet.WriteWarning($"'{r.Path}' becomes a data URI of about {r.Length * 4 / 3 / 1024 / 1024} MB inside the request; uploading it (without -InlineImages) is faster.");
            }
            return result;
        }

        /// <summary>
        /// Expands wildcards in local paths given as text (-Image ./photos/*.png), as
        /// Send-SeedreamFile -Path does. A path that exists literally is kept as it is; a pattern
        /// that matches nothing is one SeedreamImageNotFound error.
        /// </summary>
        public static List<ImageInput> ExpandWildcards(PSCmdlet cmdlet, List<ImageInput> inputs, List<ErrorRecord> errors)
        {
            if (!inputs.Any(i => i.IsLocal && !i.IsProviderPath && WildcardPattern.ContainsWildcardCharacters(i.LocalPath))) return inputs;
            var result = new List<ImageInput>();
            foreach (var input in inputs)
            {
                if (!input.IsLocal || input.IsProviderPath || !WildcardPattern.ContainsWildcardCharacters(input.LocalPath))
                {
                    result.Add(input);
                    continue;
                }
                try
                {
                    var literal = ResolveLiteral(cmdlet, input.LocalPath!);
                    if (System.IO.File.Exists(literal))
                    {
                        result.Add(input);
                        continue;
                    }
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is NotSupportedException || ex is ArgumentException || ex is PSInvalidOperationException || ex is System.Management.Automation.DriveNotFoundException || ex is ProviderNotFoundException)
                {
                }
                var matches = new List<string>();
                try
                {
                    var found = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(input.LocalPath, out var provider);
                    if (string.Equals(provider?.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
                        matches.AddRange(found.Where(f => !Directory.Exists(f)));
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is NotSupportedException || ex is ArgumentException || ex is PSInvalidOperationException || ex is System.Management.Automation.DriveNotFoundException || ex is ProviderNotFoundException)
                {
                }
                if (matches.Count == 0)
                {
                    errors.Add(Errors.ImageNotFound.Record(ExportedCell.IsTypeName(input.LocalPath)
                        ? $"Image '{input.LocalPath}' is the type name Export-Csv writes for a list: the CSV cell holds no image. Pipe results on directly, keep them with Export-Clixml or ConvertTo-Json -Depth 5, or put the images' URLs or paths in the cell."
                        : $"Image '{input.LocalPath}' matches no file.", input.Source));
                    continue;
                }
                matches.Sort(StringComparer.Ordinal);
                foreach (var m in matches) result.Add(ImageInput.FromFullPath(m, input.Source));
            }
            return result;
        }

        /// <summary>Resolves a literal path (no wildcards) against the current PowerShell location.</summary>
        public static string ResolveLiteral(PSCmdlet cmdlet, string path)
        {
            var resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            if (provider == null || !string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException($"the path is on the {provider?.Name ?? "unknown"} provider, not the file system.");
            return resolved;
        }

        private static long? KnownSize(object? source) => source switch
        {
            File uploaded when uploaded.FileSize > 0 => uploaded.FileSize,
            Image earlier => earlier.FileSize,
            _ => null,
        };

        private static ErrorRecord TooLarge(string what, long size, object? target) =>
            Errors.ImageTooLarge.Record(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                "{0} has {1:N0} bytes; fal accepts input images up to {2} MB ({3:N0} bytes).", what, size, MaxInputImageBytes / 1024 / 1024, MaxInputImageBytes), target);

        /// <summary>Checks a local image file; returns an ErrorRecord describing the first problem.</summary>
        public static ErrorRecord? CheckLocalFile(string path, object? target, out ResolvedImage? resolved)
        {
            resolved = null;
            var header = new byte[FileTypes.HeaderLength];
            var problem = LocalFileCheck.Image.Check(path, target, header, out var info, out var n);
            if (problem != null) return problem;
            if (info.Length > MaxInputImageBytes)
                return TooLarge($"Image '{path}'", info.Length, target);
            var type = FileTypes.Sniff(header, n);
            if (type == null)
                return Errors.ImageNotAnImage.Record($"'{path}' is not an image this module recognises (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIC or AVIF).", target);
            resolved = new ResolvedImage { Path = info.FullName, Length = info.Length, ContentType = type };
            return null;
        }

        /// <summary>The media type of a data URI that declares one other than an image (or generic bytes); else null.</summary>
        private static string? DeclaredNonImage(string url)
        {
            if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
            var end = url.IndexOfAny(new[] { ';', ',' });
            var mime = end < 5 ? string.Empty : url.Substring(5, end - 5).Trim();
            if (mime.Length == 0 || FileTypes.IsImage(mime) || mime.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)) return null;
            return mime;
        }

        private static string Short(string? s) => s == null ? string.Empty : s.Length <= 80 ? s : s.Substring(0, 77) + "...";
    }
}
