using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;

namespace Seedream.Bench;

/// <summary>
/// Usage: Seedream.Bench [--quick] [--no-write] [--out FILE] [--only 1,4,5,6,7] [--reps N]
/// Without options: the full run (about 10 minutes), results printed and written to BENCHMARKS.md.
/// The same executable is also the Seedream child process: --seedream-child WORKLOAD JSON.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 3 && args[0] == SeedreamChild.Mode)
            return SeedreamChild.Run(args[1], args[2]);

        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("Seedream.Bench: " + ex.Message);
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        // Whatever happens (exception, Ctrl+C), no emulator or child outlives the run.
        Console.CancelKeyPress += (_, e) =>
        {
            Processes.KillAll();
            e.Cancel = false;
        };
        try
        {
            return await new Driver(options).RunAsync().ConfigureAwait(false);
        }
        catch (BenchException ex)
        {
            Console.Error.WriteLine("Seedream.Bench: " + ex.Message);
            return 1;
        }
        finally
        {
            Processes.KillAll();
        }
    }
}

/// <summary>A failure that ends the run with a message (no stack trace needed).</summary>
internal sealed class BenchException(string message) : Exception(message);

internal sealed class BenchOptions
{
    public const string Usage =
        "Usage: dotnet run --project bench/Seedream.Bench -c Release -- [options]\n" +
        "  --quick        smoke run: smaller N, one repetition (about 3 minutes)\n" +
        "  --no-write     print the table only (default: also write BENCHMARKS.md at the repo root)\n" +
        "  --out FILE     write the results to FILE instead of BENCHMARKS.md\n" +
        "  --only LIST    run only these workloads, e.g. --only 1,5 (1 covers rows 1-3; 7 is -Journal: overhead,\n" +
        "                 kill -9 and resume, replay, and fal-js streaming vs polling; 8 is the fault run)\n" +
        "  --reps N       repetitions of workloads 1, 4 and 8 (default 3, 3 and 1; quick 1)";

    public bool Quick { get; private set; }
    public bool Write { get; private set; } = true;
    public bool Help { get; private set; }
    public string? OutFile { get; private set; }
    public HashSet<int> Only { get; } = new();
    public int? Reps { get; private set; }

    public bool Runs(int workload) => Only.Count == 0 || Only.Contains(workload);
    public bool RunsAny(params int[] workloads) => workloads.Any(Runs);

    // Sizes of the workloads: the numbers for the full run, smaller ones for --quick.
    public int Edits => Quick ? 100 : 500;
    public int Concurrency => 16;
    public int Warmup => Quick ? 8 : 16;
    public int EditReps => Reps ?? (Quick ? 1 : 3);
    /// <summary>Time allowed for workloads 1-3 (ignored with an explicit --reps).</summary>
    public TimeSpan EditBudget => Reps.HasValue ? TimeSpan.MaxValue : TimeSpan.FromMinutes(Quick ? 3 : 6);
    public int UploadMiB => Quick ? 100 : 200;
    public int UploadReps => Reps ?? (Quick ? 1 : 3);
    public int StartupReps => Quick ? 2 : 5;
    public int QueuedJobs => Quick ? 200 : 1000;
    public int QueuedRounds => 3;
    public int ResumeEdits => Quick ? 200 : 1000;
    /// <summary>Workload 8, the fault run of issue 14: 200 edits, 10 % faults on every route, seed 5.</summary>
    public int FaultEdits => Quick ? 100 : 200;
    public int FaultReps => Reps ?? 1;
    public const double FaultRate = 0.1;
    public const int FaultSeed = 5;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--quick": o.Quick = true; break;
                case "--write": o.Write = true; break;
                case "--no-write": o.Write = false; break;
                case "--out": o.OutFile = Value(); break;
                case "--reps":
                    o.Reps = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r is >= 1 and <= 20
                        ? r : throw new ArgumentException("--reps takes 1..20.");
                    break;
                case "--only":
                    foreach (var part in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) || w < 1 || w > 8)
                            throw new ArgumentException($"--only: '{part}' is not a workload number 1..8.");
                        // Rows 1-3 come from the same runs.
                        o.Only.Add(w is 2 or 3 ? 1 : w);
                    }
                    break;
                case "-h" or "--help" or "-?": o.Help = true; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        return o;
    }

    public string Describe()
    {
        var parts = new List<string> { Quick ? "--quick" : "full run" };
        if (Only.Count > 0) parts.Add("--only " + string.Join(",", Only.OrderBy(x => x)));
        if (Reps.HasValue) parts.Add("--reps " + Reps.Value.ToString(CultureInfo.InvariantCulture));
        return string.Join(" ", parts);
    }
}
