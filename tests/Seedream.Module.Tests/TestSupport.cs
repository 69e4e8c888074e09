using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    internal static class Paths
    {
        public static string RepoRoot { get; } = FindRoot();
        public static string ModuleManifest => Path.Combine(RepoRoot, "output", "Seedream", "Seedream.psd1");

        private static string FindRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !System.IO.File.Exists(Path.Combine(dir.FullName, "Seedream.Module.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Seedream.Module.sln).");
        }
    }

    /// <summary>A running emulator shared by the tests of one class. The key is distinctive so leak checks can search for it.</summary>
    public class EmulatorFixture : IAsyncLifetime
    {
        public const string Key = "sk-test-7f3a9c2e-LEAKCHECK-d41d8cd98f00b204";

        protected virtual EmulatorOptions Options => new EmulatorOptions { ProcessingMs = 150, Runners = 4, RequireKey = Key, PingMs = 100 };

        public FalEmulator Emulator { get; private set; } = null!;

        public virtual async Task InitializeAsync() => Emulator = await FalEmulator.StartAsync(Options);

        public virtual async Task DisposeAsync() => await Emulator.DisposeAsync();

        public EmulatorStats Stats => Emulator.GetStats();
    }

    /// <summary>What one script run produced, stream by stream.</summary>
    public sealed class PsResult
    {
        public List<PSObject> Output { get; } = new List<PSObject>();
        public List<ErrorRecord> Errors { get; } = new List<ErrorRecord>();
        public List<WarningRecord> Warnings { get; } = new List<WarningRecord>();
        public List<VerboseRecord> Verbose { get; } = new List<VerboseRecord>();
        public List<DebugRecord> Debug { get; } = new List<DebugRecord>();
        public List<InformationRecord> Information { get; } = new List<InformationRecord>();
        public List<ProgressRecord> Progress { get; } = new List<ProgressRecord>();
        /// <summary>A terminating error, if the script threw one.</summary>
        public RuntimeException? Terminating { get; set; }

        public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]);

        /// <summary>The only output object; asserts its PowerShell type name.</summary>
        public PSObject Single(string typeName)
        {
            var o = Assert.Single(Output);
            Assert.Equal(typeName, o.BaseObject.GetType().FullName);
            return o;
        }

        /// <summary>Every piece of text the run produced (for secret-leak checks).</summary>
        public string AllText()
        {
            var parts = new List<string>();
            foreach (var o in Output) parts.Add(o?.ToString() ?? "");
            foreach (var e in Errors)
            {
                parts.Add(e.ToString());
                parts.Add(e.ErrorDetails?.Message ?? "");
                parts.Add(e.ErrorDetails?.RecommendedAction ?? "");
                for (var ex = e.Exception; ex != null; ex = ex.InnerException) parts.Add(ex.ToString());
                parts.Add(e.TargetObject?.ToString() ?? "");
            }
            parts.AddRange(Warnings.Select(w => w.Message));
            parts.AddRange(Verbose.Select(v => v.Message));
            parts.AddRange(Debug.Select(d => d.Message));
            parts.AddRange(Information.Select(i => i.MessageData?.ToString() ?? ""));
            parts.AddRange(Progress.Select(p => p.Activity + " " + p.StatusDescription + " " + p.CurrentOperation));
            if (Terminating != null) parts.Add(Terminating.ToString());
            return string.Join("\n", parts);
        }
    }

    /// <summary>
    /// A hosted PowerShell runspace with the built module imported and connected to an emulator.
    /// Connect-Seedream is per runspace, so tests can run in parallel.
    /// </summary>
    public sealed class PsHost : IDisposable
    {
        private readonly Runspace _runspace;
        private readonly RecordingHost _host = new RecordingHost();

        /// <summary>Everything written to the host (WhatIf messages, Out-Default output).</summary>
        public string HostText => _host.Text;

        public PsHost(FalEmulator? emulator, string? key = EmulatorFixture.Key, bool connect = true)
        {
            var iss = InitialSessionState.CreateDefault2();
            _runspace = RunspaceFactory.CreateRunspace(_host, iss);
            _runspace.Open();
            var import = Run($"Import-Module '{Paths.ModuleManifest}' -ErrorAction Stop");
            if (import.Terminating != null || import.Errors.Count > 0)
                throw new InvalidOperationException("Import-Module failed: " + (import.Terminating?.ToString() ?? import.Errors[0].ToString()));
            if (connect && emulator != null)
            {
                var c = Run("Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 10", new Dictionary<string, object?> { ["key"] = key, ["proxy"] = emulator.ProxyUrl.AbsoluteUri });
                if (c.Terminating != null || c.Errors.Count > 0) throw new InvalidOperationException("Connect-Seedream failed: " + (c.Terminating?.ToString() ?? c.Errors[0].ToString()));
            }
        }

        public Runspace Runspace => _runspace;

        /// <summary>Runs a script; variables are set first. Never throws for script errors.</summary>
        public PsResult Run(string script, IDictionary<string, object?>? variables = null)
        {
            using var ps = Create(script, variables);
            var result = new PsResult();
            try
            {
                foreach (var o in ps.Invoke()) result.Output.Add(o);
            }
            catch (RuntimeException ex)
            {
                result.Terminating = ex;
            }
            Collect(ps, result);
            return result;
        }

        /// <summary>Runs a script and stops it (as Ctrl+C does) once <paramref name="stopWhen"/> holds.</summary>
        public async Task<PsResult> RunAndStopAsync(string script, Func<bool> stopWhen, IDictionary<string, object?>? variables = null, TimeSpan? limit = null)
        {
            using var ps = Create(script, variables);
            var result = new PsResult();
            var output = new PSDataCollection<PSObject>();
            var async = ps.BeginInvoke<PSObject, PSObject>(null, output);
            var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
            while (!stopWhen() && !async.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
            await Task.Factory.FromAsync(ps.BeginStop(null, null), ps.EndStop);
            try { ps.EndInvoke(async); }
            catch (RuntimeException ex) { result.Terminating = ex; }
            result.Output.AddRange(output);
            Collect(ps, result);
            return result;
        }

        private PowerShell Create(string script, IDictionary<string, object?>? variables)
        {
            var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            if (variables != null)
                foreach (var kv in variables) _runspace.SessionStateProxy.SetVariable(kv.Key, kv.Value);
            ps.AddScript(script);
            return ps;
        }

        private static void Collect(PowerShell ps, PsResult result)
        {
            result.Errors.AddRange(ps.Streams.Error);
            result.Warnings.AddRange(ps.Streams.Warning);
            result.Verbose.AddRange(ps.Streams.Verbose);
            result.Debug.AddRange(ps.Streams.Debug);
            result.Information.AddRange(ps.Streams.Information);
            result.Progress.AddRange(ps.Streams.Progress);
        }

        public void Dispose() => _runspace.Dispose();
    }

    /// <summary>
    /// The module's types are read through PowerShell's adapter, as a script would: the tests do
    /// not reference the module's assemblies, so the imported copy in output/ is the one tested.
    /// </summary>
    public static class PsObjectExtensions
    {
        public static object? P(this PSObject o, string name)
        {
            var property = o.Properties[name] ?? throw new Xunit.Sdk.XunitException($"{o.BaseObject.GetType().Name} has no property {name}");
            return Unwrap(property.Value, true);
        }
        public static object? P(this object o, string name) => PSObject.AsPSObject(o).P(name);
        public static T P<T>(this object o, string name) => (T)LanguagePrimitives.ConvertTo(PSObject.AsPSObject(o).P(name), typeof(T), System.Globalization.CultureInfo.InvariantCulture);
        public static object?[] Items(this object o, string name) => ((System.Collections.IEnumerable)PSObject.AsPSObject(o).P(name)!).Cast<object?>().ToArray();

        private static object? Unwrap(object? v, bool _) => v is PSObject p ? p.BaseObject : v;
    }

    /// <summary>Small PNG files made on the fly (the emulator's model decodes them).</summary>
    public static class TestImages
    {
        // A valid 2x2 PNG.
        public const string PngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==";
        public static string DataUri => "data:image/png;base64," + PngBase64;

        public static string WritePng(string directory, string name)
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, name);
            System.IO.File.WriteAllBytes(path, Convert.FromBase64String(PngBase64));
            return path;
        }
    }

    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "seedream-tests-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
