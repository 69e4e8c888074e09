using System.Buffers;

namespace Seedream.Emulator;

/// <summary>
/// fal storage as the JS client uses it (fal-protocol.md §5.1/5.2):
/// <list type="bullet">
/// <item><c>POST rest.fal.ai/storage/upload/initiate</c> → <c>{upload_url, file_url}</c>; <c>PUT upload_url</c> with the raw bytes.</item>
/// <item><c>POST .../initiate-multipart</c> → same shape; <c>PUT {upload path}/{n}{query}</c> per part → <c>{"partNumber","etag"}</c>;
/// <c>POST {upload path}/complete{query}</c> with <c>{"parts":[{partNumber,etag}]}</c>.</item>
/// <item>Second spelling named by fal's proxy allow-list: <c>POST rest.fal.ai/storage/upload/complete-multipart</c>
/// with <c>{"upload_url": "&lt;upload_url from initiate-multipart&gt;", "parts": [...]}</c>.</item>
/// </list>
/// Both completions answer 200 <c>{"file_url": "..."}</c>. Upload URLs are direct emulator URLs
/// <c>/uploads/{uploadId}?sig={token}</c> that need no API key, like a signed CDN URL.
/// </summary>
internal sealed class StorageService
{
    private const int MaxPartNumber = 10_000;
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly FileStore _store;
    private readonly StatsCollector _stats;
    private readonly int _bytesPerSecond;

    public StorageService(FileStore store, StatsCollector stats, int uploadBytesPerSecond = 0)
    {
        _store = store;
        _stats = stats;
        _bytesPerSecond = uploadBytesPerSecond;
    }

    private sealed class UploadSession
    {
        public required string UploadId { get; init; }
        public required string Token { get; init; }
        public required string FileId { get; init; }
        public required string FileName { get; init; }
        public required string ContentType { get; init; }
        public required bool Multipart { get; init; }
        public string? ObjectLifecycle { get; init; }
        public string? ObjectLifecyclePreference { get; init; }
        public ConcurrentDictionary<int, UploadPart> Parts { get; } = new();
        public int Finishing;
        public string Directory(FileStore store) => Path.Combine(store.UploadsDirectory, UploadId);
    }

    private sealed record UploadPart(int Number, string Path, string ETag, long Length);

    /// <summary>Handles both initiate spellings; the request body is <c>{content_type, file_name}</c>.</summary>
    public async Task InitiateAsync(HttpContext ctx, bool multipart)
    {
        string? contentType = null, fileName = null;
        var body = await ReadSmallBodyAsync(ctx).ConfigureAwait(false);
        if (body.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (doc.RootElement.TryGetProperty("content_type", out var ct) && ct.ValueKind == JsonValueKind.String) contentType = ct.GetString();
                    if (doc.RootElement.TryGetProperty("file_name", out var fn) && fn.ValueKind == JsonValueKind.String) fileName = fn.GetString();
                }
            }
            catch (JsonException)
            {
                await FalHttp.WriteJsonAsync(ctx, 422, ValidationIssue.DetailBody([JsonInvalid()])).ConfigureAwait(false);
                return;
            }
        }

        var lifecycle = HeaderOrNull(ctx, "x-fal-object-lifecycle");
        var preference = HeaderOrNull(ctx, "x-fal-object-lifecycle-preference");
        if (lifecycle is not null || preference is not null) StatsCollector.Increment(ref _stats.UploadsWithLifecycle);

        var session = new UploadSession
        {
            UploadId = FileStore.NewId(),
            Token = FileStore.NewId(),
            FileId = FileStore.NewId(),
            FileName = FileStore.SanitizeFileName(fileName, "upload.bin"),
            ContentType = string.IsNullOrWhiteSpace(contentType) ? "application/octet-stream" : contentType.Trim(),
            Multipart = multipart,
            ObjectLifecycle = lifecycle,
            ObjectLifecyclePreference = preference,
        };
        _sessions[session.UploadId] = session;
        Directory.CreateDirectory(session.Directory(_store));

        var uploadUrl = new Uri(_store.BaseUrl, $"uploads/{session.UploadId}?sig={session.Token}");
        await FalHttp.WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["upload_url"] = uploadUrl.AbsoluteUri,
            ["file_url"] = _store.UrlFor(session.FileId, session.FileName).AbsoluteUri,
        }).ConfigureAwait(false);
    }

    /// <summary><c>PUT /uploads/{uploadId}</c>: the whole file in one request, streamed to disk.</summary>
    public async Task PutAsync(HttpContext ctx, string uploadId)
    {
        if (await FindSessionAsync(ctx, uploadId).ConfigureAwait(false) is not { } session) return;
        if (session.Multipart)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, "This is a multipart upload: PUT the parts to {upload_url path}/{partNumber}", "bad_request").ConfigureAwait(false);
            return;
        }

        var temp = Path.Combine(session.Directory(_store), "single-" + FileStore.NewId());
        long length;
        try
        {
            (length, _) = await CopyBodyToFileAsync(ctx, temp).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            FileStore.TryDelete(temp);
            return; // the client went away mid-upload; nothing to answer
        }

        var final = _store.PathFor(session.FileId);
        File.Move(temp, final, overwrite: true);
        _store.Register(new StoredFile(session.FileId, session.FileName, session.ContentType, final, length, "upload",
            DateTimeOffset.UtcNow, session.ObjectLifecycle, session.ObjectLifecyclePreference));
        _sessions.TryRemove(uploadId, out _);
        TryDeleteDirectory(session.Directory(_store));
        StatsCollector.Increment(ref _stats.Uploads);
        ctx.Response.StatusCode = 200;
    }

    /// <summary><c>PUT /uploads/{uploadId}/{partNumber}</c>: one part of any size → <c>{"partNumber":n,"etag":"..."}</c>.</summary>
    public async Task PutPartAsync(HttpContext ctx, string uploadId, string partText)
    {
        if (await FindSessionAsync(ctx, uploadId).ConfigureAwait(false) is not { } session) return;
        if (!int.TryParse(partText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partNumber)
            || partNumber < 1 || partNumber > MaxPartNumber)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, $"Part number must be an integer between 1 and {MaxPartNumber}", "bad_request").ConfigureAwait(false);
            return;
        }

        if (!session.Multipart)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, "This upload was not initiated as multipart", "bad_request").ConfigureAwait(false);
            return;
        }

        var dir = session.Directory(_store);
        var temp = Path.Combine(dir, $"part-{partNumber}-{FileStore.NewId()}");
        long length;
        string etag;
        try
        {
            (length, etag) = await CopyBodyToFileAsync(ctx, temp).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            FileStore.TryDelete(temp);
            return;
        }

        // A retried part replaces the earlier copy, as on S3.
        var part = new UploadPart(partNumber, temp, etag, length);
        session.Parts.AddOrUpdate(partNumber, part, (_, old) =>
        {
            FileStore.TryDelete(old.Path);
            return part;
        });
        StatsCollector.Increment(ref _stats.UploadParts);
        await FalHttp.WriteJsonAsync(ctx, 200, new JsonObject { ["partNumber"] = partNumber, ["etag"] = etag }).ConfigureAwait(false);
    }

    /// <summary><c>POST /uploads/{uploadId}/complete</c> with <c>{"parts":[...]}</c>.</summary>
    public async Task CompleteDirectAsync(HttpContext ctx, string uploadId)
    {
        if (await FindSessionAsync(ctx, uploadId).ConfigureAwait(false) is not { } session) return;
        var body = await ReadSmallBodyAsync(ctx).ConfigureAwait(false);
        await CompleteAsync(ctx, session, body).ConfigureAwait(false);
    }

    /// <summary><c>POST rest.fal.ai/storage/upload/complete-multipart</c> with <c>{"upload_url", "parts"}</c>.</summary>
    public async Task CompleteViaRestAsync(HttpContext ctx)
    {
        var body = await ReadSmallBodyAsync(ctx).ConfigureAwait(false);
        string? uploadUrl = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("upload_url", out var u) && u.ValueKind == JsonValueKind.String)
                uploadUrl = u.GetString();
        }
        catch (JsonException)
        {
            await FalHttp.WriteJsonAsync(ctx, 422, ValidationIssue.DetailBody([JsonInvalid()])).ConfigureAwait(false);
            return;
        }

        if (uploadUrl is null || !Uri.TryCreate(uploadUrl, UriKind.Absolute, out var uri))
        {
            await FalHttp.WriteJsonAsync(ctx, 422, ValidationIssue.DetailBody([
                new ValidationIssue(ValidationIssue.BodyLoc("upload_url"), "Field required", "missing")])).ConfigureAwait(false);
            return;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var sig = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).TryGetValue("sig", out var s) ? s.ToString() : null;
        if (segments.Length != 2 || segments[0] != "uploads" || !_sessions.TryGetValue(segments[1], out var session))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "Upload not found").ConfigureAwait(false);
            return;
        }

        if (!TokenMatches(session, sig))
        {
            await FalHttp.WriteDetailAsync(ctx, 403, "Invalid upload signature").ConfigureAwait(false);
            return;
        }

        await CompleteAsync(ctx, session, body).ConfigureAwait(false);
    }

    private async Task CompleteAsync(HttpContext ctx, UploadSession session, byte[] body)
    {
        if (!session.Multipart)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, "This upload was not initiated as multipart", "bad_request").ConfigureAwait(false);
            return;
        }

        var requested = new List<(int Number, string ETag)>();
        string? problem = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
                problem = "Body must be {\"parts\": [{\"partNumber\": n, \"etag\": \"...\"}, ...]}";
            else
            {
                foreach (var p in parts.EnumerateArray())
                {
                    if (p.ValueKind != JsonValueKind.Object
                        || !p.TryGetProperty("partNumber", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var number)
                        || !p.TryGetProperty("etag", out var e) || e.ValueKind != JsonValueKind.String)
                    {
                        problem = "Every part needs an integer partNumber and a string etag";
                        break;
                    }

                    requested.Add((number, e.GetString()!));
                }
            }
        }
        catch (JsonException)
        {
            problem = "Body is not valid JSON";
        }

        if (problem is null && requested.Count == 0) problem = "At least one part is required";
        for (var i = 0; problem is null && i < requested.Count; i++)
        {
            var (number, etag) = requested[i];
            if (i > 0 && number <= requested[i - 1].Number)
                problem = $"Parts must be listed in strictly ascending partNumber order (part {number} after {requested[i - 1].Number})";
            else if (!session.Parts.TryGetValue(number, out var stored))
                problem = $"Part {number} was never uploaded";
            else if (!string.Equals(stored.ETag, etag.Trim('"'), StringComparison.OrdinalIgnoreCase))
                problem = $"ETag mismatch for part {number}";
        }

        if (problem is not null)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, problem, "bad_request").ConfigureAwait(false);
            return;
        }

        if (Interlocked.CompareExchange(ref session.Finishing, 1, 0) != 0)
        {
            await FalHttp.WriteErrorAsync(ctx, 409, "This upload is already being completed", "bad_request").ConfigureAwait(false);
            return;
        }

        var temp = Path.Combine(session.Directory(_store), "assembled-" + FileStore.NewId());
        long total = 0;
        await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            foreach (var (number, _) in requested)
            {
                var part = session.Parts[number];
                await using var input = new FileStream(part.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await input.CopyToAsync(output, ctx.RequestAborted).ConfigureAwait(false);
                total += part.Length;
            }
        }

        var final = _store.PathFor(session.FileId);
        File.Move(temp, final, overwrite: true);
        _store.Register(new StoredFile(session.FileId, session.FileName, session.ContentType, final, total, "multipart",
            DateTimeOffset.UtcNow, session.ObjectLifecycle, session.ObjectLifecyclePreference));
        _sessions.TryRemove(session.UploadId, out _);
        TryDeleteDirectory(session.Directory(_store));
        StatsCollector.Increment(ref _stats.MultipartUploads);
        await FalHttp.WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["file_url"] = _store.UrlFor(session.FileId, session.FileName).AbsoluteUri,
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET|HEAD /files/{id}/{fileName}</c> with the stored content type and exact length.</summary>
    public async Task ServeFileAsync(HttpContext ctx, string id, string fileName)
    {
        if (!_store.TryGet(id, out var file) || file.FileName != fileName || !File.Exists(file.Path))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "File not found").ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = file.ContentType;
        ctx.Response.ContentLength = file.Length;
        ctx.Response.Headers.CacheControl = "public, max-age=3600";
        if (HttpMethods.IsHead(ctx.Request.Method)) return;
        await ctx.Response.SendFileAsync(file.Path, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>GET /_emulator/files/{id}</c>: metadata, including the lifecycle headers received.</summary>
    public JsonObject? Describe(string id)
    {
        if (!_store.TryGet(id, out var f)) return null;
        return new JsonObject
        {
            ["id"] = f.Id,
            ["fileName"] = f.FileName,
            ["contentType"] = f.ContentType,
            ["size"] = f.Length,
            ["origin"] = f.Origin,
            ["createdAt"] = FalHttp.Iso(f.CreatedAt),
            ["objectLifecycle"] = f.ObjectLifecycle,
            ["objectLifecyclePreference"] = f.ObjectLifecyclePreference,
            ["url"] = _store.UrlFor(f.Id, f.FileName).AbsoluteUri,
        };
    }

    private async Task<UploadSession?> FindSessionAsync(HttpContext ctx, string uploadId)
    {
        if (!_sessions.TryGetValue(uploadId, out var session))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "Upload not found (unknown or already completed)").ConfigureAwait(false);
            return null;
        }

        if (!TokenMatches(session, ctx.Request.Query["sig"].ToString()))
        {
            await FalHttp.WriteDetailAsync(ctx, 403, "Invalid upload signature (keep the query string of upload_url)").ConfigureAwait(false);
            return null;
        }

        return session;
    }

    private static bool TokenMatches(UploadSession session, string? sig) =>
        sig is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(sig), System.Text.Encoding.ASCII.GetBytes(session.Token));

    /// <summary>Streams the request body to <paramref name="path"/>, returning its length and MD5 (the part etag).</summary>
    private async Task<(long Length, string Md5)> CopyBodyToFileAsync(HttpContext ctx, string path)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 17);
        // Throttled (--upload-bytes-per-sec): small reads, each followed by the wait that keeps
        // the running total at the rate, so the client's send stalls as on a slow link.
        var chunk = _bytesPerSecond > 0 ? Math.Clamp(_bytesPerSecond / 10, 1, 1 << 17) : 1 << 17;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = 0;
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            int read;
            while ((read = await ctx.Request.Body.ReadAsync(buffer.AsMemory(0, chunk), ctx.RequestAborted).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ctx.RequestAborted).ConfigureAwait(false);
                total += read;
                if (_bytesPerSecond > 0)
                {
                    var due = TimeSpan.FromSeconds((double)total / _bytesPerSecond) - clock.Elapsed;
                    if (due > TimeSpan.Zero) await Task.Delay(due, ctx.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (total, Convert.ToHexStringLower(md5.GetHashAndReset()));
    }

    /// <summary>Reads a JSON control body (initiate/complete); capped so a stray upload cannot exhaust memory.</summary>
    private static async Task<byte[]> ReadSmallBodyAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            ms.Write(buffer, 0, read);
            if (ms.Length > 16 * 1024 * 1024) throw new BadHttpRequestException("Control body too large", 413);
        }

        return ms.ToArray();
    }

    private static string? HeaderOrNull(HttpContext ctx, string name) =>
        ctx.Request.Headers.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

    private static ValidationIssue JsonInvalid() =>
        new(new JsonArray { "body", 0 }, "JSON decode error", "json_invalid");

    private static void TryDeleteDirectory(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

}
