using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.Json.Nodes;

namespace Seedream.Bench;

/// <summary>
/// The Seedream side of each workload, in its own process (this exe with --seedream-child) so its
/// memory is its own: the NuGet PowerShell engine hosted in-process, the built module imported
/// from output/Seedream, and the cmdlets run as script text, as a user would type them. The key
/// and the emulator come from FAL_KEY and SEEDREAM_PROXY_URL, as in a runbook.
/// Speaks the same stdio protocol as bench/faljs/bench.mjs.
/// </summary>
internal static class SeedreamChild
{
    public const string Mode = "--seedream-child";

    public static int Run(string workload, string json)
    {
        try
        {
            var opt = JsonNode.Parse(json)!.AsObject();
            switch (workload)
            {
                case "edits": Edits(opt); break;
                case "upload": Upload(opt); break;
                case "queued": Queued(opt); break;
                case "startup": Startup(opt); break;
                case "faults": Faults(opt); break;
                default: throw new ArgumentException($"Unknown workload '{workload}'.");
            }
            return 0;
        }
        catch (Exception ex)
        {
            Emit(new JsonObject { ["event"] = "error", ["message"] = ex.ToString() });
            return 1;
        }
    }

    private static void Edits(JsonObject opt)
    {
        using var ps = Engine.WithModule(opt);
        var n = (int)opt["n"]!;
        var concurrency = (int)opt["concurrency"]!;
        var throttle = ps.HasParameter("Invoke-SeedreamEdit", "ThrottleLimit");
        var command = throttle ? $"$rows | Invoke-SeedreamEdit -ThrottleLimit {concurrency}" : "$rows | Invoke-SeedreamEdit";

        ps.Set("n", (int?)opt["warmup"] ?? 16);
        ps.Run(Rows);
        ps.RunChecked(command, "warm-up");

        // With a journal (issue 11), only the timed run writes it; the warm-up above does not.
        if ((string?)opt["journal"] is { } journal)
        {
            ps.Set("journal", journal);
            command += " -Journal $journal";
        }
        ps.Set("n", n);
        ps.Run(Rows);
        TimedEdits(ps, command, new JsonObject { ["throttle"] = throttle });
    }

    /// <summary>The timed part of an edit workload: after the handshake, the command once; then what it delivered.</summary>
    private static void TimedEdits(Engine ps, string command, JsonObject? extra = null)
    {
        Handshake();
        var clock = Stopwatch.StartNew();
        var output = ps.Run(command);
        var wallMs = clock.Elapsed.TotalMilliseconds;
        var ids = output.Select(o => o.Properties["RequestId"]?.Value as string).Where(s => !string.IsNullOrEmpty(s)).ToList();
        var result = new JsonObject
        {
            ["wallMs"] = wallMs,
            ["jobs"] = ids.Count,
            ["requestIds"] = new JsonArray(ids.Select(i => (JsonNode)i!).ToArray()),
            ["command"] = command,
            ["errorCount"] = ps.LastErrors.Count,
            ["errors"] = Errors(ps.LastErrors),
        };
        foreach (var (key, value) in extra ?? new JsonObject()) result[key] = value?.DeepClone();
        Finish(result);
    }

    /// <summary>
    /// Edits against an emulator that faults its traffic, with the module's default retry settings.
    /// The warm-up runs against a clean emulator (SEEDREAM_PROXY_URL), so it spends none of the
    /// faulty one's seeded draws; then Connect-Seedream points the session at the faulty one. Same
    /// rows as workload 1 (one prompt and seed: the emulator's render cache keeps its model cheap).
    /// </summary>
    private static void Faults(JsonObject opt)
    {
        using var ps = Engine.WithModule(opt);
        var n = (int)opt["n"]!;
        var concurrency = (int)opt["concurrency"]!;
        var command = $"$rows | Invoke-SeedreamEdit -ThrottleLimit {concurrency}";

        ps.Set("n", (int?)opt["warmup"] ?? 16);
        ps.Run(Rows);
        ps.RunChecked(command, "warm-up");

        ps.Set("n", n);
        ps.Set("faulty", (string)opt["proxyUrl"]!);
        ps.RunChecked("Connect-Seedream -FromEnvironment -ProxyUrl $faulty", "Connect-Seedream");
        ps.Run(Rows);
        TimedEdits(ps, command);
    }

    private static void Upload(JsonObject opt)
    {
        using var ps = Engine.WithModule(opt);
        ps.Set("path", (string)opt["path"]!);
        ps.Set("warmupPath", (string)opt["warmupPath"]!);
        ps.RunChecked("Send-SeedreamFile -LiteralPath $warmupPath", "warm-up");
        Handshake();
        var clock = Stopwatch.StartNew();
        var output = ps.Run("Send-SeedreamFile -LiteralPath $path");
        var wallMs = clock.Elapsed.TotalMilliseconds;
        Finish(new JsonObject
        {
            ["wallMs"] = wallMs,
            ["url"] = output.Select(o => o.Properties["Url"]?.Value?.ToString()).FirstOrDefault(),
            ["command"] = "Send-SeedreamFile -LiteralPath $path",
            ["errorCount"] = ps.LastErrors.Count,
            ["errors"] = Errors(ps.LastErrors),
        });
    }

    private static void Queued(JsonObject opt)
    {
        using var ps = Engine.WithModule(opt);
        var concurrency = (int)opt["concurrency"]!;
        var submit = ps.HasParameter("Submit-SeedreamJob", "ThrottleLimit")
            ? $"$jobs = $rows | Submit-SeedreamJob -ThrottleLimit {concurrency}" : "$jobs = $rows | Submit-SeedreamJob";
        var status = ps.HasParameter("Get-SeedreamJobStatus", "ThrottleLimit")
            ? $"$last = $jobs | Get-SeedreamJobStatus -ThrottleLimit {concurrency}" : "$last = $jobs | Get-SeedreamJobStatus";

        ps.Set("n", (int?)opt["warmup"] ?? 4);
        ps.Run(Rows);
        ps.RunChecked(submit, "warm-up");
        ps.RunChecked(status, "warm-up");

        ps.Set("n", (int)opt["n"]!);
        ps.Set("rounds", (int)opt["rounds"]!);
        ps.Run(Rows);
        Handshake();
        // Hold the jobs: submit them all, then check every job's status round after round (they stay IN_QUEUE).
        var clock = Stopwatch.StartNew();
        ps.Run(submit);
        var submitMs = clock.Elapsed.TotalMilliseconds;
        var errors = ps.LastErrors.ToList();
        var counts = ps.Run($"foreach ($round in 1..$rounds) {{ {status} }}; $counts = @{{}}; foreach ($s in $last) {{ $counts[\"$($s.Status)\"]++ }}; foreach ($k in $counts.Keys) {{ \"$k=$($counts[$k])\" }}");
        var wallMs = clock.Elapsed.TotalMilliseconds;
        errors.AddRange(ps.LastErrors);
        var statuses = new JsonObject();
        foreach (var c in counts.Select(o => o.ToString().Split('=')))
            statuses[c[0]] = int.Parse(c[1], CultureInfo.InvariantCulture);
        var jobs = ps.Run("@($jobs).Count").Select(o => (int)o.BaseObject).FirstOrDefault();
        Finish(new JsonObject
        {
            ["wallMs"] = wallMs,
            ["submitMs"] = submitMs,
            ["jobs"] = jobs,
            ["statuses"] = statuses,
            ["command"] = $"{submit}; 1..$rounds | % {{ {status} }}",
            ["errorCount"] = errors.Count,
            ["errors"] = Errors(errors),
        });
    }

    /// <summary>
    /// A fresh process: engine start, Import-Module, then the first edit (no warm-up, by design).
    /// With preImport, another (empty) module is imported first, so the Seedream import that follows
    /// shows the module's own cost rather than the engine's first-use cost.
    /// </summary>
    private static void Startup(JsonObject opt)
    {
        var processStart = Process.GetCurrentProcess().StartTime;
        var a = DateTime.Now;
        var clock = Stopwatch.StartNew();
        using var ps = new Engine();
        var engineMs = clock.Elapsed.TotalMilliseconds;
        ps.Set("manifest", (string)opt["manifest"]!);
        ps.Set("prompt", (string?)opt["prompt"] ?? "benchmark edit");
        ps.Set("image", (string)opt["imageUrl"]!);
        var result = new JsonObject
        {
            ["processMs"] = (a - processStart).TotalMilliseconds,
            ["engineMs"] = engineMs,
        };
        if ((string?)opt["preImport"] is { } pre)
        {
            ps.Set("pre", pre);
            clock.Restart();
            ps.RunChecked("Import-Module -Name $pre -ErrorAction Stop", "Import-Module (empty module)");
            result["preImportMs"] = clock.Elapsed.TotalMilliseconds;
        }
        clock.Restart();
        ps.RunChecked("Import-Module -Name $manifest -ErrorAction Stop", "Import-Module");
        result["importMs"] = clock.Elapsed.TotalMilliseconds;
        ps.Run("$ProgressPreference = 'SilentlyContinue'");
        clock.Restart();
        var output = ps.RunChecked("Invoke-SeedreamEdit -Prompt $prompt -Image $image", "first edit");
        result["firstEditMs"] = clock.Elapsed.TotalMilliseconds;
        result["requestIds"] = new JsonArray(output.Select(o => (JsonNode)(o.Properties["RequestId"]?.Value?.ToString() ?? "")).ToArray());
        result["event"] = "result";
        result["errorCount"] = 0;
        Emit(result);
    }

    // Rows as a CSV import would give them: the API's field names, bound by property name. Same
    // prompt and seed on both sides, so the emulator renders once and serves the rest from its
    // render cache: the workload then measures the clients, not the emulator's PNG encoder.
    private const string Rows =
        "$rows = foreach ($i in 0..($n - 1)) { [pscustomobject]@{ prompt = $prompt; image_urls = @($image); seed = 42 } }";

    private static void Handshake()
    {
        Emit(new JsonObject { ["event"] = "ready", ["memory"] = SelfMemory() });
        Console.In.ReadLine();
    }

    private static void Finish(JsonObject result)
    {
        result["event"] = "result";
        result["memory"] = SelfMemory();
        Emit(result);
        // Stay alive until the driver has read our peak memory and closes stdin.
        while (Console.In.ReadLine() != null) { }
    }

    private static JsonObject SelfMemory()
    {
        using var me = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["rss"] = me.WorkingSet64,
            ["peakRss"] = me.PeakWorkingSet64,
            ["privateBytes"] = me.PrivateMemorySize64,
            ["gcHeap"] = GC.GetGCMemoryInfo().HeapSizeBytes,
        };
    }

    private static JsonArray Errors(IEnumerable<ErrorRecord> errors) =>
        new(errors.Take(5).Select(e => (JsonNode)(e.FullyQualifiedErrorId + ": " + e))!.ToArray());

    private static void Emit(JsonObject o)
    {
        Console.Out.WriteLine(o.ToJsonString());
        Console.Out.Flush();
    }

    /// <summary>One runspace of the hosted engine.</summary>
    private sealed class Engine : IDisposable
    {
        private readonly Runspace _runspace;

        public Engine()
        {
            var iss = InitialSessionState.CreateDefault2();
            if (OperatingSystem.IsWindows()) iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
            _runspace = RunspaceFactory.CreateRunspace(iss);
            _runspace.Open();
        }

        public static Engine WithModule(JsonObject opt)
        {
            var e = new Engine();
            e.Set("manifest", (string)opt["manifest"]!);
            e.Set("prompt", (string?)opt["prompt"] ?? "benchmark edit");
            e.Set("image", (string?)opt["imageUrl"] ?? "");
            // Progress off, as in unattended scripts: this host has no UI to draw it on.
            e.RunChecked("Import-Module -Name $manifest -ErrorAction Stop; $ProgressPreference = 'SilentlyContinue'", "Import-Module");
            return e;
        }

        public List<ErrorRecord> LastErrors { get; private set; } = new();

        public void Set(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name, value);

        public bool HasParameter(string command, string parameter) =>
            Run($"(Get-Command {command}).Parameters.ContainsKey('{parameter}')").Select(o => o.BaseObject is true).FirstOrDefault();

        public Collection<PSObject> Run(string script)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            ps.AddScript(script);
            try
            {
                var output = ps.Invoke();
                LastErrors = ps.Streams.Error.ToList();
                return output;
            }
            catch (RuntimeException ex)
            {
                LastErrors = ps.Streams.Error.Append(ex.ErrorRecord).ToList();
                return new Collection<PSObject>();
            }
        }

        public Collection<PSObject> RunChecked(string script, string what)
        {
            var output = Run(script);
            if (LastErrors.Count > 0) throw new InvalidOperationException($"{what} failed: {LastErrors[0]}");
            return output;
        }

        public void Dispose() => _runspace.Dispose();
    }
}
