namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Turns pipeline objects into <see cref="SaveItem"/>s: EditResult (all images), Image, File,
    /// URL or data-URI strings, Uri, and look-alike objects with Images or Url properties (for
    /// example results read back with ConvertFrom-Json).
    /// </summary>
    internal sealed class SaveInputs
    {
        private int _looseIndex;

        public void Expand(object? input, List<SaveItem> items, List<ErrorRecord> errors) => Expand(input, null, null, null, items, errors, 0);

        // requestId, seed and inputName: what an enclosing result says, for images that do not say it themselves.
        private void Expand(object? input, string? requestId, long? seed, string? inputName, List<SaveItem> items, List<ErrorRecord> errors, int depth)
        {
            var value = input is PSObject p ? p.BaseObject : input;
            switch (value)
            {
                case null:
                    errors.Add(Errors.SaveInputInvalid.Record("An empty value cannot be saved.", null));
                    return;
                case EditResult result:
                    items.AddRange(SaveItem.FromResult(result));
                    return;
                case Image image:
                    items.Add(new SaveItem(image, image));
                    return;
                case File file:
                    AddUrl(file.Url, file, items, errors, file.ContentType, file.FileSize > 0 ? file.FileSize : (long?)null, file.FileName, null, null, seed, inputName);
                    return;
                case string text when !InputImage.LooksLikeUrl(text):
                    errors.Add(Errors.SaveInputInvalid.Record($"'{text}' is not a URL: Save-SeedreamImage downloads images from http(s) URLs and data URIs (a local file is saved already; Copy-Item copies it).", input));
                    return;
                case string text:
                    AddUrl(text, input, items, errors, null, null, null, requestId, null, seed, inputName);
                    return;
                case Uri uri:
                    AddUrl(uri.OriginalString, input, items, errors, null, null, null, requestId, null, seed, inputName);
                    return;
            }
            if (value is IDictionary dict)
            {
                // A hashtable (ConvertFrom-Json -AsHashtable, @{ Url = ... }) is read by its keys, like an object's properties.
                var bag = new PSObject();
                foreach (DictionaryEntry entry in dict)
                    if (entry.Key is string key) bag.Properties.Add(new PSNoteProperty(key, entry.Value));
                input = bag;
            }
            else if (value is IEnumerable list && depth < 3)
            {
                foreach (var element in list) Expand(element, requestId, seed, inputName, items, errors, depth + 1);
                return;
            }

            // Look-alikes: anything with Images (a result) or Url (an image or file), any casing or snake_case.
            var pso = PSObject.AsPSObject(input!);
            var images = Property(pso, "Images");
            if (images is string cell && ExportedCell.IsTypeName(cell) && Text(pso, "RawJson") is string raw)
            {
                // A result row read back with Import-Csv: its Images cell is a type name, but RawJson holds the answer.
                AddFromRawJson(raw, pso, input, items, errors);
                return;
            }
            if (images != null && depth < 3)
            {
                var rid = Text(pso, "RequestId", "request_id") ?? requestId;
                var s = Number(pso, "Seed") ?? seed;
                var first = FirstInput(Property(pso, "InputImages")) ?? inputName;
                foreach (var element in images is IEnumerable e && !(images is string) ? e : new[] { images })
                    Expand(element, rid, s, first, items, errors, depth + 1);
                return;
            }
            var url = Text(pso, "Url");
            if (url != null)
            {
                var index = Number(pso, "Index");
                AddUrl(url, input, items, errors, Text(pso, "ContentType", "content_type"), Number(pso, "FileSize", "file_size"),
                    Text(pso, "FileName", "file_name"), Text(pso, "RequestId", "request_id") ?? requestId, index.HasValue ? (int)index.Value : (int?)null,
                    Number(pso, "Seed") ?? seed, inputName);
                return;
            }
            errors.Add(Errors.SaveInputInvalid.Record($"A {value.GetType().Name} cannot be saved: pass a Seedream.EditResult, a Seedream.Image, a URL or a data URI.", input));
        }

        private void AddUrl(string url, object? target, List<SaveItem> items, List<ErrorRecord> errors, string? contentType, long? size, string? fileName, string? requestId, int? index, long? seed, string? inputName)
        {
            var problem = InputImage.CheckUrl(url);
            if (problem != null)
            {
                var shown = url.Length <= 80 ? url : url.Substring(0, 77) + "...";
                errors.Add(Errors.ForCode(problem.Value.Code).Record($"Cannot save '{shown}': {problem.Value.Message}", target));
                return;
            }
            // The module's own Seedream.Image for it, so loose URLs are saved as result images are.
            var image = new Image
            {
                Url = url.Trim(),
                ContentType = contentType,
                FileSize = size,
                FileName = fileName,
                RequestId = requestId,
                // Loose URLs have no position in a result: number them in arrival order.
                Index = index ?? (requestId == null ? _looseIndex++ : 0),
                Seed = seed,
            };
            items.Add(new SaveItem(image, target, inputName));
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

        /// <summary>The first input image of a result read back (a list after JSON or Clixml, '|'-joined or a type name in a CSV cell); null when unknown.</summary>
        private static string? FirstInput(object? inputs)
        {
            var first = inputs is IEnumerable list && !(inputs is string) ? list.Cast<object?>().FirstOrDefault() : inputs;
            if (first is PSObject p) first = p.BaseObject;
            if (!(first is string s) || s.Length == 0 || ExportedCell.IsTypeName(s)) return null;
            return s.Split(ImageInputTransformationAttribute.Separator)[0].Trim() is { Length: > 0 } one ? one : null;
        }

        private void AddFromRawJson(string raw, PSObject row, object? target, List<SaveItem> items, List<ErrorRecord> errors)
        {
            EditResult result;
            try
            {
                result = EditResultParser.Parse(raw, Text(row, "RequestId", "request_id") ?? string.Empty, Text(row, "Endpoint") ?? string.Empty, Text(row, "Prompt"));
            }
            catch (FalApiException ex)
            {
                errors.Add(Errors.SaveInputInvalid.Record($"The row's Images cell is a type name and its RawJson is not a result fal sent: {ex.Message}", target, ex));
                return;
            }
            var first = FirstInput(Property(row, "InputImages"));
            foreach (var image in result.Images) items.Add(new SaveItem(image, target, first));
        }

        private static long? Number(PSObject o, params string[] names)
        {
            var v = Property(o, names);
            if (v == null) return null;
            try { return (long)LanguagePrimitives.ConvertTo(v, typeof(long), System.Globalization.CultureInfo.InvariantCulture); }
            catch (PSInvalidCastException) { return null; }
        }
    }

    /// <summary>The ErrorIds of a failed save (the writer's refusals, download failures, file-system errors).</summary>
    internal static class SaveErrors
    {
        public static ErrorRecord ToErrorRecord(Exception ex, object? target)
        {
            switch (ex)
            {
                case ImageSaveException save:
                    return save.Reason switch
                    {
                        SaveFailure.Exists => Errors.FileExists.Record(save, target),
                        SaveFailure.DestinationUnwritable => Errors.DestinationUnwritable.Record(save, target),
                        _ => Errors.DataUriInvalid.Record(save, target),
                    };
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
    }
}
