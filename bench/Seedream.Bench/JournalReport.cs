using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Seedream.Bench;

/// <summary>Workload 7 (issue 11): what -Journal costs, and what it saves after a kill -9.</summary>
internal sealed class JournalResults
{
    public List<(string Variant, EditRun Run)> Overhead { get; } = new();
    public int N { get; set; }
    public int Throttle { get; set; }
    public double KilledAfterMs { get; set; }
    public long SubmittedBeforeKill { get; set; }
    public long CompletedBeforeKill { get; set; }
    public double ResumeMs { get; set; }
    public int ResumeDelivered { get; set; }
    public long ResumeSubmitted { get; set; }
    public long Duplicates { get; set; }
    public double ReplayMs { get; set; }
    public int ReplayDelivered { get; set; }
    public long ReplaySubmitted { get; set; }
}

internal static class JournalReport
{
    public static string Render(BenchOptions o, JournalResults j)
    {
        if (j.Overhead.Count == 0 && j.N == 0) return string.Empty;
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine("## Durable batches (workload 7, `-Journal`)");
        sb.AppendLine();
        double Med(string v, System.Func<EditRun, double> f) => Stats.Median(j.Overhead.Where(x => x.Variant == v).Select(x => f(x.Run)));
        if (j.Overhead.Count > 0)
        {
            var plain = Med("plain", r => r.JobsPerSec);
            var journal = Med("journal", r => r.JobsPerSec);
            var poll = Med("fal-poll", r => r.JobsPerSec);
            var stream = Med("fal-stream", r => r.JobsPerSec);
            var loss = (1 - journal / plain) * 100;
            sb.AppendLine($"Workload 1 ({o.Edits} edits, {o.Concurrency} concurrent, model 200 ms, {o.Concurrency} runners), medians of {j.Overhead.Count(x => x.Variant == "plain")} run(s) each, every run on a fresh emulator:");
            sb.AppendLine();
            sb.AppendLine("| Client | Throughput (jobs/s) | Delivered p50 / p95 (ms) | Requests per job | vs Seedream without journal | Target | Met? |");
            sb.AppendLine("|---|---:|---:|---:|---:|---|---|");
            sb.AppendLine($"| Seedream | {Stats.F(plain, "0.0")} | {Stats.F(Med("plain", r => r.P50), "0")} / {Stats.F(Med("plain", r => r.P95), "0")} | {Stats.F(Med("plain", r => r.RequestsPerJob), "0.00")} | 1.00× |  |  |");
            sb.AppendLine($"| Seedream `-Journal` | {Stats.F(journal, "0.0")} | {Stats.F(Med("journal", r => r.P50), "0")} / {Stats.F(Med("journal", r => r.P95), "0")} | {Stats.F(Med("journal", r => r.RequestsPerJob), "0.00")} | {Stats.F(journal / plain, "0.00")}× ({Stats.F(-loss, "+0.0;-0.0")} %) | within 5 % | {(loss <= 5 ? "met" : "**not met**")} |");
            sb.AppendLine($"| fal-js `fal.subscribe` (default: polling) | {Stats.F(poll, "0.0")} | {Stats.F(Med("fal-poll", r => r.P50), "0")} / {Stats.F(Med("fal-poll", r => r.P95), "0")} | {Stats.F(Med("fal-poll", r => r.RequestsPerJob), "0.00")} | {Stats.F(poll / plain, "0.00")}× |  |  |");
            sb.AppendLine($"| fal-js `fal.subscribe` `mode: \"streaming\"` | {Stats.F(stream, "0.0")} | {Stats.F(Med("fal-stream", r => r.P50), "0")} / {Stats.F(Med("fal-stream", r => r.P95), "0")} | {Stats.F(Med("fal-stream", r => r.RequestsPerJob), "0.00")} | {Stats.F(stream / plain, "0.00")}× |  |  |");
            var errors = j.Overhead.Where(x => x.Run.Errors > 0).Select(x => $"{x.Variant}: {x.Run.Errors} errors (first: {x.Run.FirstError})").ToList();
            if (errors.Count > 0) sb.AppendLine().AppendLine("Errors: " + string.Join("; ", errors));
            sb.AppendLine();
            sb.AppendLine("Per run:");
            sb.AppendLine();
            sb.AppendLine("| Variant | Wall (s) | Jobs/s | Delivered p50 / p95 (ms) | Requests per job, by route | Client CPU per job (ms) | Emulator CPU |");
            sb.AppendLine("|---|---:|---:|---:|---|---:|---:|");
            foreach (var (v, r) in j.Overhead)
                sb.AppendLine($"| {v} | {Stats.F(r.WallMs / 1000, "0.00")} | {Stats.F(r.JobsPerSec, "0.0")} | {Stats.F(r.P50, "0")} / {Stats.F(r.P95, "0")} | {string.Join(", ", r.RoutesPerJob.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value:0.00}"))} | {Stats.F(r.ClientCpuMsPerJob, "0.0")} | {Stats.F(r.EmulatorCpuShare * 100, "0")} % |");
        }
        if (j.N > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"Resume: `$rows | Invoke-SeedreamEdit -ThrottleLimit {j.Throttle} -Journal $journal` with {j.N} edits, the client process killed with SIGKILL once the emulator had completed half of them, then the same command run again in a new process (twice):");
            sb.AppendLine();
            sb.AppendLine("| Step | Wall (s) | Jobs submitted | Results delivered | Target | Met? |");
            sb.AppendLine("|---|---:|---:|---:|---|---|");
            sb.AppendLine($"| run killed half-way | {Stats.F(j.KilledAfterMs / 1000, "0.00")} | {j.SubmittedBeforeKill} | ({j.CompletedBeforeKill} completed on the server) |  |  |");
            sb.AppendLine($"| rerun after the kill | {Stats.F(j.ResumeMs / 1000, "0.00")} | {j.ResumeSubmitted} | {j.ResumeDelivered} | {j.N} delivered |  {(j.ResumeDelivered == j.N ? "met" : "**not met**")} |");
            var total = j.SubmittedBeforeKill + j.ResumeSubmitted;
            sb.AppendLine($"| killed run + rerun | {Stats.F((j.KilledAfterMs + j.ResumeMs) / 1000, "0.00")} | {total} | {j.ResumeDelivered} | ≤ {j.N} + {j.Throttle} submitted | {(total <= j.N + j.Throttle ? "met" : "**not met**")} |");
            sb.AppendLine($"| second rerun (finished journal) | {Stats.F(j.ReplayMs / 1000, "0.00")} | {j.ReplaySubmitted} | {j.ReplayDelivered} | < 2 s, 0 submitted | {(j.ReplayMs < 2000 && j.ReplaySubmitted == 0 && j.ReplayDelivered == j.N ? "met" : "**not met**")} |");
            sb.AppendLine();
            sb.AppendLine("Wall times are the timed part of each process (after engine start, Import-Module and a one-edit warm-up without the journal). " +
                          "The rows are identical (same prompt, image and seed, as in workload 1), so the n-th identical edit matches the n-th journal entry; " +
                          $"jobs submitted beyond {j.N} are the edits whose submit was on the wire at the kill (journal state Submitting), which the rerun sends again.");
        }
        return sb.ToString();
    }
}
