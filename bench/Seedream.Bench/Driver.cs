using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace Seedream.Bench;

/// <summary>The clients: Seedream, and @fal-ai/client with its default (polling) and its best (streaming) wait.</summary>
internal enum Side { Seedream, FalJs, FalJsStreaming }

/// <summary>Runs the workloads, fal-js and Seedream alternately, each client in its own process.</summary>
internal sealed class Driver
{
    private const string Key = "bench-local-key";
    private const int ModelMs = 200;
    private const int Runners = 16;

    private readonly BenchOptions _o;
    private readonly Results _results = new();
    private string _root = "", _faljs = "", _manifest = "", _emulatorDll = "", _imageUrl = "";

    public Driver(BenchOptions options) => _o = options;

    public async Task<int> RunAsync()
    {
        Locate();
        EnsureNodeModules();
        var machine = Machine.Describe(_root, _faljs);
        Console.WriteLine($"Seedream benchmark ({_o.Describe()}) on {machine.Cores} cores, {machine.Os}");
        var clock = Stopwatch.StartNew();

        if (_o.Runs(1)) await Guard("1-3", EditsAsync).ConfigureAwait(false);
        if (_o.Runs(4)) await Guard("4", UploadAsync).ConfigureAwait(false);
        if (_o.Runs(5)) await Guard("5", StartupAsync).ConfigureAwait(false);
        if (_o.Runs(6)) await Guard("6", QueuedAsync).ConfigureAwait(false);
        if (_o.Runs(7)) await Guard("7", JournalAsync).ConfigureAwait(false);
        if (_o.Runs(8)) await Guard("8", FaultsAsync).ConfigureAwait(false);

        var main = _o.RunsAny(1, 4, 5, 6) ? Report.Render(_o, machine, _results, clock.Elapsed) : null;
        var journal = _o.Runs(7) ? Report.JournalBegin + Environment.NewLine + JournalReport.Render(_o, _results.Journal).Trim() + Environment.NewLine + Report.JournalEnd : null;
        var faults = _o.Runs(8) ? Report.RenderFaults(_o, machine, _results) : null;
        Console.WriteLine();
        Console.WriteLine((main ?? "") + (journal ?? "") + (faults ?? ""));
        if (_o.Write)
        {
            var path = _o.OutFile != null ? Path.GetFullPath(_o.OutFile) : Path.Combine(_root, "BENCHMARKS.md");
            // A run of some workloads replaces only their part of the file.
            File.WriteAllText(path, Report.Merge(File.Exists(path) ? File.ReadAllText(path) : null, main,
                (Report.JournalBegin, Report.JournalEnd, journal), (Report.FaultsBegin, Report.FaultsEnd, faults)));
            Console.WriteLine($"Written to {path}");
        }
        return _results.Failures.Count == 0 ? 0 : 1;
    }

    /// <summary>One failing workload (say, a cmdlet still being written) must not cost the others.</summary>
    private async Task Guard(string workload, Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (BenchException ex)
        {
            Console.Error.WriteLine($"Workload {workload} failed: {ex.Message}");
            _results.Failures.Add($"Workload {workload}: {FirstLine(ex.Message)}");
        }
    }

    // ------------------------------------------------------------------ setup

    private void Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Seedream.Module.sln"))) dir = dir.Parent;
        _root = dir?.FullName ?? throw new BenchException("Cannot find the repository root (Seedream.Module.sln) above " + AppContext.BaseDirectory);
        _faljs = Path.Combine(_root, "bench", "faljs");
        _manifest = Path.Combine(_root, "output", "Seedream", "Seedream.psd1");
        if (!File.Exists(_manifest)) throw new BenchException($"{_manifest} is missing; build first (dotnet build Seedream.Module.sln).");

        // The emulator of this program's own configuration (the ProjectReference builds it), else the newest.
#if DEBUG
        var preferred = "Debug";
#else
        var preferred = "Release";
#endif
        var candidates = new[] { preferred, preferred == "Release" ? "Debug" : "Release" }
            .Select(c => Path.Combine(_root, "src", "Seedream.Emulator", "bin", c, "net10.0", "Seedream.Emulator.dll"))
            .Where(File.Exists).ToList();
        _emulatorDll = candidates.FirstOrDefault() ?? throw new BenchException("The emulator is not built (src/Seedream.Emulator/bin/*/net10.0/Seedream.Emulator.dll).");

        // Both clients send the same small input image inline, so no job depends on an upload.
        var png = File.ReadAllBytes(Path.Combine(_root, "examples", "images", "landscape.png"));
        _imageUrl = "data:image/png;base64," + Convert.ToBase64String(png);
    }

    private void EnsureNodeModules()
    {
        if (Processes.Capture("node", "--version") == null) throw new BenchException("node is not on PATH (Node 20 or later is needed for the fal-js side).");
        if (File.Exists(Path.Combine(_faljs, "node_modules", "@fal-ai", "client", "package.json"))) return;
        Console.WriteLine("Installing bench/faljs dependencies (npm ci) ...");
        var info = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", "npm", "ci", "--no-audit", "--no-fund" } }
            : new ProcessStartInfo("npm") { ArgumentList = { "ci", "--no-audit", "--no-fund" } };
        info.WorkingDirectory = _faljs;
        using var p = Processes.Start(info);
        p.WaitForExit();
        Processes.Forget(p);
        if (p.ExitCode != 0) throw new BenchException($"npm ci failed in {_faljs} (exit code {p.ExitCode}).");
    }

    // ------------------------------------------------------------------ children

    private ChildProcess StartChild(Side side, string workload, JsonObject opt, EmulatorProcess emu)
    {
        opt = (JsonObject)opt.DeepClone();
        opt["prompt"] ??= "benchmark edit";
        opt["imageUrl"] ??= _imageUrl;
        if (side != Side.Seedream)
        {
            if (side == Side.FalJsStreaming) opt["mode"] ??= "streaming";
            opt["proxyUrl"] = emu.ProxyUrl.AbsoluteUri;
            opt["key"] = Key;
            return ChildProcess.Start("fal-js", "node", new[] { "bench.mjs", workload, opt.ToJsonString() }, _faljs);
        }
        opt["manifest"] ??= _manifest;
        var (file, prefix) = SelfCommand();
        var env = new Dictionary<string, string>
        {
            ["FAL_KEY"] = Key,
            ["SEEDREAM_PROXY_URL"] = emu.ProxyUrl.AbsoluteUri,
        };
        return ChildProcess.Start("Seedream", file, prefix.Concat(new[] { SeedreamChild.Mode, workload, opt.ToJsonString() }), _root, env);
    }

    /// <summary>How to start this program again: its apphost, or dotnet + the dll.</summary>
    private static (string File, string[] Prefix) SelfCommand()
    {
        var self = Environment.ProcessPath ?? Processes.DotnetHost();
        var dll = typeof(Driver).Assembly.Location;
        return Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (self, new[] { dll })
            : (self, Array.Empty<string>());
    }

    private static string Name(Side s) => Report.SideName(s);

    /// <summary>Alternate which side goes first, so neither always gets the cooler machine.</summary>
    private static Side[] Order(int rep) => rep % 2 == 0 ? new[] { Side.FalJs, Side.Seedream } : new[] { Side.Seedream, Side.FalJs };

    /// <summary>The same with fal-js's streaming mode too (workloads that wait for jobs: 1-3 and 5).</summary>
    private static Side[] WaitingOrder(int rep) => rep % 2 == 0
        ? new[] { Side.FalJs, Side.Seedream, Side.FalJsStreaming }
        : new[] { Side.FalJsStreaming, Side.Seedream, Side.FalJs };

    // ------------------------------------------------------------------ workloads 1-3

    private async Task EditsAsync()
    {
        // The emulator's PNG rendering caps jobs/s on small machines, so a repetition can take minutes:
        // stop repeating when the next one would overrun the budget (the report says how many ran).
        var clock = Stopwatch.StartNew();
        for (var rep = 0; rep < _o.EditReps; rep++)
        {
            if (rep > 0 && clock.Elapsed + clock.Elapsed / rep > _o.EditBudget)
            {
                Console.WriteLine($"[1-3] stopping after {rep} repetition(s): another would exceed the {_o.EditBudget.TotalMinutes:0}-minute budget.");
                break;
            }
            foreach (var side in WaitingOrder(rep))
            {
                Console.Write($"[1-3] {_o.Edits} edits, {_o.Concurrency} concurrent, {Name(side)} (rep {rep + 1}/{_o.EditReps}) ... ");
                var run = await EditRunAsync(side).ConfigureAwait(false);
                _results.Edits.Add(run);
                Console.WriteLine($"{Stats.F(run.WallMs / 1000, "0.0")} s, {Stats.F(run.JobsPerSec, "0.0")} jobs/s, p50 {Stats.F(run.P50)} ms, {Stats.F(run.RequestsPerJob, "0.00")} req/job"
                                  + (run.Errors > 0 ? $", {run.Errors} errors" : ""));
            }
        }
    }

    private async Task<EditRun> EditRunAsync(Side side, string? journal = null, string? falMode = null)
    {
        await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, Runners, Key).ConfigureAwait(false);
        var opt = new JsonObject { ["n"] = _o.Edits, ["concurrency"] = _o.Concurrency, ["warmup"] = _o.Warmup };
        if (journal != null) opt["journal"] = journal;
        if (falMode != null) opt["mode"] = falMode;
        await using var child = StartChild(side, "edits", opt, emu);
        await child.ReadEventAsync("ready", TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        var before = await emu.StatsAsync().ConfigureAwait(false);
        var emuCpu = emu.Cpu;
        var cpu = child.Cpu;
        await child.SendAsync("go").ConfigureAwait(false);
        var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(30)).ConfigureAwait(false);
        emuCpu = emu.Cpu - emuCpu;
        cpu = child.Cpu - cpu;
        var after = await emu.StatsAsync().ConfigureAwait(false);

        var ids = ((JsonArray?)result["requestIds"] ?? new JsonArray()).Select(n => (string)n!).ToList();
        var jobs = await emu.JobsAsync(ids).ConfigureAwait(false);
        var delivered = jobs.Select(j => Ms(j, "completedAt", "resultFetchedAt")).ToList();
        var total = jobs.Select(j => Ms(j, "submittedAt", "resultFetchedAt")).ToList();
        var queued = jobs.Select(j => Ms(j, "submittedAt", "startedAt")).ToList();
        var model = jobs.Select(j => Ms(j, "startedAt", "completedAt")).ToList();
        var routes = RouteDelta(before, after);
        var wall = (double)result["wallMs"]!;
        var n = Math.Max(1, ids.Count);
        return new EditRun
        {
            Side = side,
            WallMs = wall,
            Jobs = ids.Count,
            Errors = (int?)result["errorCount"] ?? 0,
            FirstError = ((JsonArray?)result["errors"])?.FirstOrDefault()?.ToString(),
            P50 = Stats.Percentile(delivered, 50),
            P95 = Stats.Percentile(delivered, 95),
            TotalP50 = Stats.Percentile(total, 50),
            QueuedP50 = Stats.Percentile(queued, 50),
            ModelP50 = Stats.Percentile(model, 50),
            ModelP95 = Stats.Percentile(model, 95),
            RequestsPerJob = routes.Values.Sum() / (double)n,
            RoutesPerJob = routes.ToDictionary(p => p.Key, p => p.Value / (double)n),
            ClientCpuMsPerJob = cpu.TotalMilliseconds / n,
            ClientCpuShare = cpu.TotalMilliseconds / (wall * Environment.ProcessorCount),
            EmulatorCpuShare = emuCpu.TotalMilliseconds / (wall * Environment.ProcessorCount),
            EmulatorCpuMsPerJob = emuCpu.TotalMilliseconds / n,
            Command = (string?)result["command"] ?? $"fal.subscribe x {_o.Concurrency} workers",
            Throttle = (bool?)result["throttle"] ?? true,
        };
    }

    private static double Ms(JsonObject job, string from, string to)
    {
        if (job[from] is not JsonValue a || job[to] is not JsonValue b) return double.NaN;
        var x = DateTimeOffset.Parse((string)a!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var y = DateTimeOffset.Parse((string)b!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        return (y - x).TotalMilliseconds;
    }

    private static Dictionary<string, long> RouteDelta(JsonObject before, JsonObject after)
    {
        var a = before["requestsByRoute"]?.AsObject() ?? new JsonObject();
        var b = after["requestsByRoute"]?.AsObject() ?? new JsonObject();
        var delta = new Dictionary<string, long>();
        foreach (var (route, value) in b)
        {
            var d = (long)value! - ((long?)a[route] ?? 0);
            if (d != 0) delta[route] = d;
        }
        return delta;
    }

    private static long Counter(JsonObject stats, string name) => (long?)stats[name] ?? 0;

    // ------------------------------------------------------------------ workload 4

    private async Task UploadAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "seedream-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var big = Path.Combine(dir, "random.bin");
            var warm = Path.Combine(dir, "warmup.bin");
            WriteRandomFile(big, _o.UploadMiB);
            WriteRandomFile(warm, 1);
            for (var rep = 0; rep < _o.UploadReps; rep++)
            {
                foreach (var side in Order(rep))
                {
                    Console.Write($"[4] {_o.UploadMiB} MB upload, {Name(side)} (rep {rep + 1}/{_o.UploadReps}) ... ");
                    var run = await UploadRunAsync(side, big, warm).ConfigureAwait(false);
                    _results.Uploads.Add(run);
                    Console.WriteLine($"{Stats.F(run.MiBps)} MB/s, peak growth {Stats.F(run.GrowthMiB)} MB");
                }
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static void WriteRandomFile(string path, int mib)
    {
        var buffer = new byte[1 << 20];
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        for (var i = 0; i < mib; i++)
        {
            RandomNumberGenerator.Fill(buffer);
            f.Write(buffer);
        }
    }

    private async Task<UploadRun> UploadRunAsync(Side side, string path, string warmup)
    {
        // A fresh emulator per upload: its storage (a temp directory) goes when it stops.
        await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, 2, Key).ConfigureAwait(false);
        await using var child = StartChild(side, "upload", new JsonObject { ["path"] = path, ["warmupPath"] = warmup }, emu);
        await child.ReadEventAsync("ready", TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        var before = await emu.StatsAsync().ConfigureAwait(false);
        child.Memory.Begin();
        await child.SendAsync("go").ConfigureAwait(false);
        var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        var peak = child.Memory.End();
        var after = await emu.StatsAsync().ConfigureAwait(false);
        var stored = Counter(after, "uploads") + Counter(after, "multipartUploads") - Counter(before, "uploads") - Counter(before, "multipartUploads");
        var errors = (int?)result["errorCount"] ?? 0;
        if (stored < 1 && errors == 0) errors = 1;
        var wall = (double)result["wallMs"]!;
        var bytes = new FileInfo(path).Length;
        return new UploadRun
        {
            Side = side,
            WallMs = wall,
            MiBps = bytes / Stats.MiB / (wall / 1000),
            BaselineMiB = child.Memory.Baseline / Stats.MiB,
            GrowthMiB = child.Memory.Growth(peak) / Stats.MiB,
            Parts = Counter(after, "uploadParts") - Counter(before, "uploadParts"),
            Errors = errors,
            FirstError = ((JsonArray?)result["errors"])?.FirstOrDefault()?.ToString(),
        };
    }

    // ------------------------------------------------------------------ workload 5

    private async Task StartupAsync()
    {
        // An empty manifest module, imported first in the "warm engine" runs: what remains of the
        // Seedream import after that is the module's own cost.
        var dir = Path.Combine(Path.GetTempPath(), "seedream-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var empty = Path.Combine(dir, "Empty", "Empty.psd1");
        Directory.CreateDirectory(Path.GetDirectoryName(empty)!);
        File.WriteAllText(empty, "@{ ModuleVersion = '1.0.0'; GUID = 'a3c8b2b4-5d0e-4f8e-9d1a-6a0f1e2b3c4d'; FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }\n");
        try
        {
            await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, Runners, Key).ConfigureAwait(false);
            // The emulator's own first job is slow (JIT, Skia): keep that out of both clients' first edit.
            await StartupRunAsync(Side.FalJs, emu, new JsonObject()).ConfigureAwait(false);
            await StartupRunAsync(Side.FalJsStreaming, emu, new JsonObject()).ConfigureAwait(false);
            for (var rep = 0; rep < _o.StartupReps; rep++)
            {
                foreach (var side in WaitingOrder(rep))
                {
                    Console.Write($"[5] import + first edit in a fresh process, {Name(side)} (rep {rep + 1}/{_o.StartupReps}) ... ");
                    var run = await StartupRunAsync(side, emu, new JsonObject()).ConfigureAwait(false);
                    _results.Startups.Add(run);
                    Console.WriteLine($"import {Stats.F(run.ImportMs, "0")} ms, first edit {Stats.F(run.FirstEditMs, "0")} ms");
                }
                Console.Write($"[5] the same after importing an empty module first, Seedream (rep {rep + 1}/{_o.StartupReps}) ... ");
                var warm = await StartupRunAsync(Side.Seedream, emu, new JsonObject { ["preImport"] = empty }).ConfigureAwait(false);
                warm.AfterEmptyModule = true;
                _results.Startups.Add(warm);
                Console.WriteLine($"empty module {Stats.F(warm.PreImportMs, "0")} ms, then Seedream {Stats.F(warm.ImportMs, "0")} ms");
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private async Task<StartupRun> StartupRunAsync(Side side, EmulatorProcess emu, JsonObject opt)
    {
        await using var child = StartChild(side, "startup", opt, emu);
        var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(3)).ConfigureAwait(false);
        await child.WaitExitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        var run = new StartupRun
        {
            Side = side,
            ProcessMs = (double?)result["processMs"] ?? double.NaN,
            EngineMs = (double?)result["engineMs"] ?? double.NaN,
            ImportMs = (double?)result["importMs"] ?? double.NaN,
            PreImportMs = (double?)result["preImportMs"] ?? double.NaN,
            FirstEditMs = (double?)result["firstEditMs"] ?? double.NaN,
        };
        var id = ((JsonArray?)result["requestIds"])?.FirstOrDefault()?.ToString();
        if (id != null && await emu.JobAsync(id).ConfigureAwait(false) is { } job)
            run.ServerMs = Ms(job, "submittedAt", "completedAt");
        return run;
    }

    // ------------------------------------------------------------------ workload 6

    private async Task QueuedAsync()
    {
        foreach (var side in Order(0))
        {
            Console.Write($"[6] {_o.QueuedJobs} queued jobs held ({_o.QueuedRounds} status rounds), {Name(side)} ... ");
            var run = await QueuedRunAsync(side).ConfigureAwait(false);
            _results.Queued.Add(run);
            Console.WriteLine($"peak growth {Stats.F(run.GrowthMiB)} MB, submit {Stats.F(run.SubmitMs / 1000, "0.0")} s");
        }
    }

    private async Task<QueuedRun> QueuedRunAsync(Side side)
    {
        // One runner busy for an hour: every submitted job stays IN_QUEUE.
        await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, 3_600_000, 1, Key).ConfigureAwait(false);
        var opt = new JsonObject { ["n"] = _o.QueuedJobs, ["rounds"] = _o.QueuedRounds, ["concurrency"] = _o.Concurrency, ["warmup"] = 4 };
        await using var child = StartChild(side, "queued", opt, emu);
        await child.ReadEventAsync("ready", TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        var before = await emu.StatsAsync().ConfigureAwait(false);
        child.Memory.Begin();
        await child.SendAsync("go").ConfigureAwait(false);
        var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(20)).ConfigureAwait(false);
        var peak = child.Memory.End();
        var after = await emu.StatsAsync().ConfigureAwait(false);
        var routes = RouteDelta(before, after);
        var statuses = ((JsonObject?)result["statuses"])?.Select(p => $"{p.Key} {p.Value}") ?? Array.Empty<string>();
        return new QueuedRun
        {
            Side = side,
            Jobs = (int?)result["jobs"] ?? 0,
            Submitted = Counter(after, "submitted") - Counter(before, "submitted"),
            WallMs = (double)result["wallMs"]!,
            SubmitMs = (double)result["submitMs"]!,
            BaselineMiB = child.Memory.Baseline / Stats.MiB,
            GrowthMiB = child.Memory.Growth(peak) / Stats.MiB,
            Statuses = string.Join(", ", statuses),
            Routes = routes,
            Command = (string?)result["command"] ?? $"queue.submit + queue.status, {_o.Concurrency} workers",
            Errors = (int?)result["errorCount"] ?? 0,
            FirstError = ((JsonArray?)result["errors"])?.FirstOrDefault()?.ToString(),
        };
    }

    // ------------------------------------------------------------------ workload 7 (issue 11)

    private async Task JournalAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "seedream-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var j = _results.Journal;
        try
        {
            // 7a: workload 1 with and without -Journal, alternating; fal-js polling and streaming alongside.
            for (var rep = 0; rep < _o.EditReps; rep++)
            {
                foreach (var variant in rep % 2 == 0 ? new[] { "plain", "journal", "fal-poll", "fal-stream" } : new[] { "fal-stream", "fal-poll", "journal", "plain" })
                {
                    Console.Write($"[7] {_o.Edits} edits, {_o.Concurrency} concurrent, {variant} (rep {rep + 1}/{_o.EditReps}) ... ");
                    var run = variant switch
                    {
                        "plain" => await EditRunAsync(Side.Seedream).ConfigureAwait(false),
                        "journal" => await EditRunAsync(Side.Seedream, Path.Combine(dir, $"overhead-{rep}.jsonl")).ConfigureAwait(false),
                        "fal-poll" => await EditRunAsync(Side.FalJs, falMode: "polling").ConfigureAwait(false),
                        _ => await EditRunAsync(Side.FalJs, falMode: "streaming").ConfigureAwait(false),
                    };
                    j.Overhead.Add((variant, run));
                    Console.WriteLine($"{Stats.F(run.JobsPerSec, "0.0")} jobs/s, p50 {Stats.F(run.P50)} ms" + (run.Errors > 0 ? $", {run.Errors} errors" : ""));
                }
            }

            // 7b: a journaled batch killed (SIGKILL) half-way, then rerun; 7c: the finished journal rerun.
            var n = _o.ResumeEdits;
            var journal = Path.Combine(dir, "resume.jsonl");
            await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, Runners, Key).ConfigureAwait(false);
            var opt = new JsonObject { ["n"] = n, ["concurrency"] = _o.Concurrency, ["warmup"] = 1, ["journal"] = journal };

            Console.Write($"[7] {n} journaled edits, killed at half-way ... ");
            var start = await emu.StatsAsync().ConfigureAwait(false);
            double killedAfterMs;
            await using (var first = StartChild(Side.Seedream, "edits", opt, emu))
            {
                await first.ReadEventAsync("ready", TimeSpan.FromMinutes(2)).ConfigureAwait(false);
                start = await emu.StatsAsync().ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                await first.SendAsync("go").ConfigureAwait(false);
                while (Counter(await emu.StatsAsync().ConfigureAwait(false), "completed") - Counter(start, "completed") < n / 2)
                {
                    if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new BenchException("the journaled batch did not reach half-way in 10 minutes");
                    await Task.Delay(5).ConfigureAwait(false);
                }
                using (var victim = Process.GetProcessById(first.Id)) victim.Kill(); // SIGKILL on Unix
                killedAfterMs = clock.Elapsed.TotalMilliseconds;
            }
            var atKill = await emu.StatsAsync().ConfigureAwait(false);
            j.KilledAfterMs = killedAfterMs;
            j.SubmittedBeforeKill = Counter(atKill, "submitted") - Counter(start, "submitted");
            j.CompletedBeforeKill = Counter(atKill, "completed") - Counter(start, "completed");
            Console.WriteLine($"killed after {killedAfterMs / 1000:0.0} s with {j.SubmittedBeforeKill} submitted, {j.CompletedBeforeKill} completed");

            (j.ResumeMs, j.ResumeDelivered, j.ResumeSubmitted) = await JournalRerunAsync(emu, opt, "rerun after the kill").ConfigureAwait(false);
            j.Duplicates = Counter(await emu.StatsAsync().ConfigureAwait(false), "duplicateJobs");
            (j.ReplayMs, j.ReplayDelivered, j.ReplaySubmitted) = await JournalRerunAsync(emu, opt, "rerun of the finished journal").ConfigureAwait(false);
            j.N = n;
            j.Throttle = _o.Concurrency;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private async Task<(double WallMs, int Delivered, long Submitted)> JournalRerunAsync(EmulatorProcess emu, JsonObject opt, string what)
    {
        Console.Write($"[7] {what} ... ");
        await using var child = StartChild(Side.Seedream, "edits", opt, emu);
        await child.ReadEventAsync("ready", TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        var before = await emu.StatsAsync().ConfigureAwait(false);
        await child.SendAsync("go").ConfigureAwait(false);
        var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(30)).ConfigureAwait(false);
        var after = await emu.StatsAsync().ConfigureAwait(false);
        var wall = (double)result["wallMs"]!;
        var jobs = (int?)result["jobs"] ?? 0;
        var submitted = Counter(after, "submitted") - Counter(before, "submitted");
        Console.WriteLine($"{wall / 1000:0.00} s, {jobs} results, {submitted} submitted" + ((int?)result["errorCount"] is > 0 and var e ? $", {e} errors" : ""));
        return (wall, jobs, submitted);
    }

    // ------------------------------------------------------------------ workload 8 (issue 14)

    /// <summary>The fault kinds of the two rows: everything a client meets on the way, then the same plus 502 and 504.</summary>
    internal static readonly (string Name, string Kinds)[] FaultSets =
    {
        ("429, 503, resets, truncated/garbled bodies, SSE drops", "429,503,reset,truncated,badjson,sse-drop"),
        ("the same plus 502 and 504", "429,503,reset,truncated,badjson,sse-drop,502,504"),
    };

    private async Task FaultsAsync()
    {
        for (var rep = 0; rep < _o.FaultReps; rep++)
        {
            foreach (var (name, kinds) in FaultSets)
            {
                foreach (var client in new[] { FaultClient.Seedream, FaultClient.FalJsPolling, FaultClient.FalJsStreaming })
                {
                    Console.Write($"[8] {_o.FaultEdits} edits, {_o.Concurrency} concurrent, {BenchOptions.FaultRate:P0} faults ({kinds}), {FaultRun.Name(client)} (rep {rep + 1}/{_o.FaultReps}) ... ");
                    var run = await FaultRunAsync(client, name, kinds).ConfigureAwait(false);
                    _results.Faults.Add(run);
                    Console.WriteLine($"{run.Delivered}/{run.Edits} delivered, {run.Extra} extra jobs, {Stats.F(run.WallMs / 1000, "0.0")} s"
                                      + (run.Errors > 0 ? $", {run.Errors} errors (first: {FirstLine(run.FirstError ?? "")})" : ""));
                }
            }
        }
    }

    private async Task<FaultRun> FaultRunAsync(FaultClient client, string setName, string kinds)
    {
        // A fresh faulty emulator per client, so each meets the same seeded faults from its first
        // request; the warm-up goes to a second, clean one and spends none of them.
        var faultArgs = new[] { "--fault-rate", BenchOptions.FaultRate.ToString(CultureInfo.InvariantCulture), "--fault-kinds", kinds,
            "--fault-seed", BenchOptions.FaultSeed.ToString(CultureInfo.InvariantCulture) };
        await using var warm = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, Runners, Key).ConfigureAwait(false);
        await using var emu = await EmulatorProcess.StartAsync(_emulatorDll, ModelMs, Runners, Key, faultArgs).ConfigureAwait(false);
        var opt = new JsonObject { ["n"] = _o.FaultEdits, ["concurrency"] = _o.Concurrency, ["warmup"] = _o.Warmup };
        ChildProcess child;
        if (client == FaultClient.Seedream)
        {
            // The session starts on the clean emulator (SEEDREAM_PROXY_URL); Connect-Seedream then moves it.
            opt["proxyUrl"] = emu.ProxyUrl.AbsoluteUri;
            child = StartChild(Side.Seedream, "faults", opt, warm);
        }
        else
        {
            opt["warmupProxyUrl"] = warm.ProxyUrl.AbsoluteUri;
            opt["mode"] = client == FaultClient.FalJsStreaming ? "streaming" : "polling";
            child = StartChild(Side.FalJs, "faults", opt, emu);
        }

        await using (child)
        {
            await child.ReadEventAsync("ready", TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            var before = await emu.StatsAsync().ConfigureAwait(false);
            await child.SendAsync("go").ConfigureAwait(false);
            var result = await child.ReadEventAsync("result", TimeSpan.FromMinutes(30)).ConfigureAwait(false);
            var after = await emu.StatsAsync().ConfigureAwait(false);
            var ids = ((JsonArray?)result["requestIds"] ?? new JsonArray()).Select(n => (string)n!).Distinct().ToList();
            var faults = after["faultsInjected"]?.AsObject();
            var created = Counter(after, "submitted") - Counter(before, "submitted");
            return new FaultRun
            {
                Client = client,
                SetName = setName,
                Kinds = kinds,
                Edits = _o.FaultEdits,
                Delivered = ids.Count,
                Errors = (int?)result["errorCount"] ?? 0,
                FirstError = ((JsonArray?)result["errors"])?.FirstOrDefault()?.ToString(),
                Created = created,
                WallMs = (double)result["wallMs"]!,
                FaultsTotal = (long?)faults?["total"] ?? 0,
                ByKind = Numbers(faults?["byKind"]),
                ByShape = Numbers(faults?["byShape"]),
                Requests = RouteDelta(before, after).Values.Sum(),
            };
        }
    }

    private static Dictionary<string, long> Numbers(JsonNode? node) =>
        node is JsonObject o ? o.ToDictionary(p => p.Key, p => (long?)p.Value ?? 0) : new Dictionary<string, long>();

    private static string FirstLine(string s) => s.Split('\n')[0];
}
