namespace Seedream.Emulator;

/// <summary>A file served at <c>/files/{Id}/{FileName}</c>; the bytes live on disk at <see cref="Path"/>.</summary>
internal sealed record StoredFile(
    string Id,
    string FileName,
    string ContentType,
    string Path,
    long Length,
    string Origin,
    DateTimeOffset CreatedAt,
    string? ObjectLifecycle = null,
    string? ObjectLifecyclePreference = null);

/// <summary>
/// Disk-backed storage of uploads and model outputs in a private temp directory (deleted on
/// dispose). Files are never held in memory: uploads of hundreds of MB are streamed.
/// </summary>
internal sealed class FileStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);

    public FileStore()
    {
        Root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "seedream-emulator-" + NewId());
        Directory.CreateDirectory(FilesDirectory);
        Directory.CreateDirectory(UploadsDirectory);
        Directory.CreateDirectory(JobsDirectory);
    }

    public string Root { get; }
    private string FilesDirectory => System.IO.Path.Combine(Root, "files");
    public string UploadsDirectory => System.IO.Path.Combine(Root, "uploads");
    private string JobsDirectory => System.IO.Path.Combine(Root, "jobs");

    /// <summary>Writes a job's request body to disk and returns the path.</summary>
    public string SaveJobInput(string requestId, byte[] body)
    {
        var path = System.IO.Path.Combine(JobsDirectory, requestId + ".json");
        File.WriteAllBytes(path, body);
        return path;
    }

    /// <summary>Filled in once Kestrel has bound its port.</summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1/");

    /// <summary>Unguessable id for URLs (the URL is the only capability, as on a CDN).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Where the bytes of file <paramref name="id"/> go before <see cref="Register"/> makes them visible.</summary>
    public string PathFor(string id) => System.IO.Path.Combine(FilesDirectory, id + ".bin");

    public void Register(StoredFile file) => _files[file.Id] = file;

    public bool TryGet(string id, out StoredFile file) => _files.TryGetValue(id, out file!);

    public bool Remove(string id)
    {
        if (!_files.TryRemove(id, out var file)) return false;
        TryDelete(file.Path);
        return true;
    }

    public Uri UrlFor(string id, string fileName) =>
        new(BaseUrl, $"files/{id}/{Uri.EscapeDataString(fileName)}");

    /// <summary>Keeps only a plain file name: no directories, no control characters, never empty.</summary>
    public static string SanitizeFileName(string? name, string fallback)
    {
        var baseName = System.IO.Path.GetFileName((name ?? "").Replace('\\', '/'));
        var cleaned = new string(baseName.Where(c => !char.IsControl(c) && c != '/').ToArray()).Trim();
        return cleaned.Length == 0 || cleaned is "." or ".." ? fallback : cleaned;
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
