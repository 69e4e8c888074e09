using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;

namespace Seedream.Bench;

/// <summary>Every process the benchmark starts, so none survives it.</summary>
internal static class Processes
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    public static Process Start(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        var p = Process.Start(info) ?? throw new BenchException($"Could not start {info.FileName}.");
        Live[p.Id] = p;
        return p;
    }

    public static void Forget(Process p) => Live.TryRemove(p.Id, out _);

    public static void KillAll()
    {
        foreach (var p in Live.Values)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (Exception) { }
        }
        Live.Clear();
    }

    /// <summary>SIGTERM where there is one (the emulator then deletes its temp directory), else a kill.</summary>
    public static async Task StopAsync(Process p, TimeSpan grace)
    {
        try
        {
            if (p.HasExited) return;
            if (!OperatingSystem.IsWindows()) _ = SysKill(p.Id, 15);
            else p.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(grace);
            try { await p.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
        }
        catch (InvalidOperationException) { }
        finally
        {
            Forget(p);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>The dotnet host that runs this program, so children use the same runtime.</summary>
    public static string DotnetHost()
    {
        var env = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        var self = Environment.ProcessPath;
        if (self != null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
        return "dotnet";
    }

    /// <summary>Runs a short command and returns its first line of output (null on any failure).</summary>
    public static string? Capture(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info);
            if (p == null) return null;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(10_000);
            return p.ExitCode == 0 ? text.Split('\n')[0].Trim() : null;
        }
        catch (Exception) { return null; }
    }
}

/// <summary>A fal emulator in its own process (the CLI of src/Seedream.Emulator).</summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private EmulatorProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }
    public Uri ProxyUrl => new(BaseUrl, "api/fal/proxy");
    public int ProcessingMs { get; private init; }
    public int Runners { get; private init; }

    public static async Task<EmulatorProcess> StartAsync(string dll, int processingMs, int runners, string key, IEnumerable<string>? extraArgs = null)
    {
        var info = new ProcessStartInfo(Processes.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // The emulated model renders its PNGs synchronously on the thread pool; with 16 runners on a
        // 2-core machine that starves the pool, and status streams, polls and result reads then wait
        // for thread injection (seconds), which real fal's API servers never do. A higher floor keeps
        // the HTTP side responsive, so delivery latency is the client's, not the pool's.
        // (Decimal 32 or hex 0x32: either reading is plenty.)
        info.Environment["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "32";
        foreach (var a in new[] { dll, "--urls", "http://127.0.0.1:0", "--processing-ms", processingMs.ToString(CultureInfo.InvariantCulture),
                     "--runners", runners.ToString(CultureInfo.InvariantCulture), "--ping-ms", "1000", "--require-key", key }.Concat(extraArgs ?? Array.Empty<string>()))
            info.ArgumentList.Add(a);
        var p = Processes.Start(info);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var line = await p.StandardOutput.ReadLineAsync(cts.Token).ConfigureAwait(false)
                    ?? throw new BenchException("The emulator exited before listening: " + stderr);
                const string marker = "listening on ";
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0) continue;
                var emulator = new EmulatorProcess(p, new Uri(line[(at + marker.Length)..].Trim().TrimEnd('/') + "/"))
                {
                    ProcessingMs = processingMs,
                    Runners = runners,
                };
                lock (stderr) emulator._stderr.Append(stderr);
                return emulator;
            }
        }
        catch (OperationCanceledException)
        {
            await Processes.StopAsync(p, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            throw new BenchException("The emulator did not report its port within 60 s.");
        }
    }

    /// <summary>CPU time the emulator has used so far (to tell when it, not the client, is the bottleneck).</summary>
    public TimeSpan Cpu
    {
        get
        {
            try { _process.Refresh(); return _process.TotalProcessorTime; }
            catch (InvalidOperationException) { return TimeSpan.Zero; }
        }
    }

    public async Task<JsonObject> StatsAsync() =>
        JsonNode.Parse(await _http.GetStringAsync(new Uri(BaseUrl, "_emulator/stats")).ConfigureAwait(false))!.AsObject();

    /// <summary>The per-job record with timestamps; null when the emulator does not know the id.</summary>
    public async Task<JsonObject?> JobAsync(string requestId)
    {
        using var resp = await _http.GetAsync(new Uri(BaseUrl, "_emulator/jobs/" + Uri.EscapeDataString(requestId))).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode) return null;
        return JsonNode.Parse(await resp.Content.ReadAsStringAsync().ConfigureAwait(false))?.AsObject();
    }

    /// <summary>Job records for many ids, a few requests at a time.</summary>
    public async Task<List<JsonObject>> JobsAsync(IEnumerable<string> ids)
    {
        var result = new ConcurrentBag<JsonObject>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
        {
            var job = await JobAsync(id).ConfigureAwait(false);
            if (job != null) result.Add(job);
        }).ConfigureAwait(false);
        return result.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Processes.StopAsync(_process, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        _process.Dispose();
        _http.Dispose();
    }
}

/// <summary>
/// A client process (node or the Seedream child) speaking the line protocol: JSON events on
/// stdout ("ready", "result", "error"), one line on stdin to start the timed part, stdin closed
/// to let it exit.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        Memory = new MemoryProbe(process);
    }

    public string Name { get; }
    public int Id => _process.Id;
    public MemoryProbe Memory { get; }

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (env != null) foreach (var (k, v) in env) info.Environment[k] = v;
        var p = Processes.Start(info);
        var child = new ChildProcess(p, name);
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) child.AddLog(e.Data); };
        p.BeginErrorReadLine();
        return child;
    }

    private void AddLog(string line)
    {
        lock (_log) if (_log.Length < 20_000) _log.AppendLine(line);
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public TimeSpan Cpu
    {
        get
        {
            try { _process.Refresh(); return _process.TotalProcessorTime; }
            catch (InvalidOperationException) { return TimeSpan.Zero; }
        }
    }

    /// <summary>Reads stdout up to the next event; other lines are kept for error messages.</summary>
    public async Task<JsonObject> ReadEventAsync(string expected, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _process.StandardOutput.ReadLineAsync(cts.Token).ConfigureAwait(false);
                if (line == null)
                {
                    await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                    throw new BenchException($"{Name} exited (code {_process.ExitCode}) before '{expected}'.\n{Tail(Log)}");
                }
                JsonObject? o = null;
                if (line.StartsWith('{'))
                {
                    try { o = JsonNode.Parse(line)?.AsObject(); } catch (JsonException) { }
                }
                if (o == null || o["event"] is null)
                {
                    AddLog(line);
                    continue;
                }
                var ev = (string?)o["event"];
                if (ev == "error") throw new BenchException($"{Name} failed: {(string?)o["message"]}\n{Tail(Log)}");
                if (ev == expected) return o;
                AddLog(line);
            }
        }
        catch (OperationCanceledException)
        {
            throw new BenchException($"{Name} did not send '{expected}' within {timeout.TotalSeconds:0} s.\n{Tail(Log)}");
        }
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for a process that exits by itself (the startup workload).</summary>
    public async Task WaitExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }

    public async ValueTask DisposeAsync()
    {
        Memory.Dispose();
        try { _process.StandardInput.Close(); } catch (Exception) { }
        await WaitExitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        Processes.Forget(_process);
        _process.Dispose();
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}

/// <summary>
/// Peak resident memory of a child over a window, measured from outside so node and .NET are
/// measured the same way. On Linux the kernel's high-water mark (VmHWM) is reset at the start of
/// the window (clear_refs 5) and read at its end; a 10 ms sampler backs it up (and is the only
/// source elsewhere).
/// </summary>
internal sealed class MemoryProbe : IDisposable
{
    private readonly Process _process;
    private Timer? _timer;
    private long _sampledPeak;

    public MemoryProbe(Process process) => _process = process;

    public long Baseline { get; private set; }
    private bool _hwmReset;

    public void Begin()
    {
        Baseline = CurrentRss();
        _sampledPeak = Baseline;
        _hwmReset = TryResetHighWaterMark();
        _timer = new Timer(_ => Sample(), null, 0, 10);
    }

    /// <summary>Peak RSS during the window, in bytes.</summary>
    public long End()
    {
        _timer?.Dispose();
        _timer = null;
        Sample();
        var peak = Interlocked.Read(ref _sampledPeak);
        if (_hwmReset && ReadStatusKb("VmHWM") is { } hwm) peak = Math.Max(peak, hwm * 1024);
        return peak;
    }

    public long Growth(long peak) => Math.Max(0, peak - Baseline);

    private void Sample()
    {
        var rss = CurrentRss();
        long seen;
        while (rss > (seen = Interlocked.Read(ref _sampledPeak)))
            if (Interlocked.CompareExchange(ref _sampledPeak, rss, seen) == seen) break;
    }

    private long CurrentRss()
    {
        if (ReadStatusKb("VmRSS") is { } kb) return kb * 1024;
        try { _process.Refresh(); return _process.WorkingSet64; }
        catch (InvalidOperationException) { return 0; }
    }

    private bool TryResetHighWaterMark()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    private long? ReadStatusKb(string field)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
                var digits = new string(line.Where(char.IsDigit).ToArray());
                return long.Parse(digits, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    public void Dispose() => _timer?.Dispose();
}
