using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Seedream.Bench;

internal static class Stats
{
    /// <summary>Percentile with linear interpolation between closest ranks; NaN for no data.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = p / 100.0 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Median(IEnumerable<double> values) => Percentile(values, 50);

    public static string F(double v, string format = "0.0") =>
        double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    public static string Ratio(double seedream, double faljs) =>
        double.IsNaN(seedream) || double.IsNaN(faljs) || faljs == 0 ? "n/a" : (seedream / faljs).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    public const double MiB = 1024.0 * 1024.0;
}

/// <summary>What the numbers were measured on.</summary>
internal sealed class Machine
{
    public string Cpu { get; private init; } = "";
    public int Cores { get; private init; }
    public string Memory { get; private init; } = "";
    public string Os { get; private init; } = "";
    public string DotNet { get; private init; } = "";
    public string Node { get; private init; } = "";
    public string FalClient { get; private init; } = "";
    public string Engine { get; private init; } = "";
    public string Commit { get; private init; } = "";
    public string Load { get; private init; } = "";
    public DateTimeOffset Date { get; private init; }

    public static Machine Describe(string repoRoot, string faljsDir)
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        long memBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (model != null) cpu = model[(model.IndexOf(':') + 1)..].Trim() + " (" + cpu + ")";
                var total = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
                if (total != null) memBytes = long.Parse(new string(total.Where(char.IsDigit).ToArray()), CultureInfo.InvariantCulture) * 1024;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
        }
        var sdk = Processes.Capture(Processes.DotnetHost(), "--version");
        var falVersion = "not installed";
        try
        {
            var pkg = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(faljsDir, "node_modules", "@fal-ai", "client", "package.json")));
            falVersion = (string?)pkg?["version"] ?? "unknown";
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException) { }
        var sma = typeof(System.Management.Automation.PowerShell).Assembly;
        // The informational version is the package's (7.6.9); the assembly version stops at 7.6.0.
        var smaVersion = (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(sma)?.InformationalVersion
            ?? sma.GetName().Version?.ToString(3) ?? "?").Split('+', ' ')[0];
        var head = Processes.Capture("git", "-C", repoRoot, "rev-parse", "--short", "HEAD");
        var dirty = Processes.Capture("git", "-C", repoRoot, "status", "--porcelain", "--untracked-files=no");
        return new Machine
        {
            Cpu = cpu,
            Cores = Environment.ProcessorCount,
            Memory = (memBytes / 1024.0 / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
            Os = RuntimeInformation.OSDescription,
            DotNet = RuntimeInformation.FrameworkDescription + (sdk != null ? $" (SDK {sdk})" : ""),
            Node = Processes.Capture("node", "--version") ?? "not found",
            FalClient = falVersion,
            Engine = $"System.Management.Automation {smaVersion} (NuGet) hosted in-process",
            Commit = head == null ? "unknown" : head + (string.IsNullOrEmpty(dirty) ? "" : " + uncommitted changes"),
            Date = DateTimeOffset.UtcNow,
            Load = LoadAverage(),
        };
    }

    /// <summary>Other work on a shared machine shows here (Linux load averages, 1/5/15 min).</summary>
    public static string LoadAverage()
    {
        try { return OperatingSystem.IsLinux() ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : ""; }
        catch (IOException) { return ""; }
    }

    public IEnumerable<string> Lines()
    {
        yield return $"- Date: {Date:yyyy-MM-dd HH:mm} UTC; repository at {Commit}";
        yield return $"- CPU: {Cpu}, {Cores} logical cores" + (Load.Length > 0 ? $"; load average at start {Load}" : "");
        yield return $"- Memory: {Memory}";
        yield return $"- OS: {Os}";
        yield return $"- .NET: {DotNet}";
        yield return $"- Node: {Node}, @fal-ai/client {FalClient}";
        yield return $"- PowerShell: {Engine}";
    }
}
