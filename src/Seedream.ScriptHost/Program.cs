using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Seedream.Emulator;

namespace Seedream.ScriptHost
{
    /// <summary>
    /// Usage: Seedream.ScriptHost [--emulator [--processing-ms N] [--runners N]] (script.ps1 [args...] | -Command text)
    /// With --emulator a fal emulator starts in this process first; FAL_KEY and SEEDREAM_PROXY_URL
    /// are pointed at it (the key is required by the emulator, as the real API does).
    /// </summary>
    internal static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            var list = args.ToList();
            var withEmulator = Take(list, "--emulator");
            var processingMs = TakeValue(list, "--processing-ms") ?? "800";
            var runners = TakeValue(list, "--runners") ?? "2";
            string? command = TakeValue(list, "-Command");
            if (command == null && list.Count == 0)
            {
                Console.Error.WriteLine("usage: Seedream.ScriptHost [--emulator [--processing-ms N] [--runners N]] (script.ps1 [args...] | -Command <text>)");
                return 2;
            }

            FalEmulator? emulator = null;
            try
            {
                if (withEmulator)
                {
                    const string key = "local-emulator-key";
                    emulator = await FalEmulator.StartAsync(EmulatorOptions.Parse(new[] { "--processing-ms", processingMs, "--runners", runners, "--require-key", key }));
                    Environment.SetEnvironmentVariable("FAL_KEY", key);
                    Environment.SetEnvironmentVariable("SEEDREAM_PROXY_URL", emulator.ProxyUrl.AbsoluteUri);
                    Console.WriteLine($"Local fal emulator listening on {emulator.BaseUrl} (proxy {emulator.ProxyUrl})");
                }
                return Run(command, list);
            }
            finally
            {
                if (emulator != null) await emulator.DisposeAsync();
            }
        }

        private static int Run(string? command, List<string> rest)
        {
            var host = new ConsoleHost();
            var iss = InitialSessionState.CreateDefault2();
            if (OperatingSystem.IsWindows()) iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
            using var runspace = RunspaceFactory.CreateRunspace(host, iss);
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            if (command != null)
            {
                ps.AddScript(command);
            }
            else
            {
                var script = Path.GetFullPath(rest[0]);
                ps.AddCommand(script);
                // "-Name value" becomes a named parameter; "-Name" followed by another "-Other" or
                // nothing is a switch; anything else is positional.
                var args = rest.Skip(1).ToList();
                for (var i = 0; i < args.Count; i++)
                {
                    var a = args[i];
                    var isName = a.Length > 1 && a[0] == '-' && !double.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
                    if (!isName) { ps.AddArgument(a); continue; }
                    var name = a.TrimStart('-');
                    var colon = name.IndexOf(':');
                    if (colon > 0) { ps.AddParameter(name.Substring(0, colon), name.Substring(colon + 1)); continue; }
                    var next = i + 1 < args.Count ? args[i + 1] : null;
                    var nextIsName = next != null && next.Length > 1 && next[0] == '-' && !double.TryParse(next, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
                    if (next != null && !nextIsName) { ps.AddParameter(name, next); i++; }
                    else ps.AddParameter(name);
                }
            }
            // Errors go through Out-Default too, so they are shown like pwsh shows them.
            ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            ps.AddCommand("Out-Default");
            var failed = false;
            ps.Streams.Error.DataAdded += (s, e) => failed = true;
            var errorCount = 0;
            try
            {
                ps.Invoke();
                errorCount = runspace.SessionStateProxy.GetVariable("Error") is System.Collections.ICollection errors ? errors.Count : 0;
            }
            catch (RuntimeException ex)
            {
                Console.Error.WriteLine(ex.ErrorRecord?.ToString() ?? ex.Message);
                return 1;
            }
            if (host.ShouldExit) return host.ExitCode;
            return failed || errorCount > 0 ? 1 : 0;
        }

        private static bool Take(List<string> args, string name)
        {
            var i = args.FindIndex(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
            if (i < 0) return false;
            args.RemoveAt(i);
            return true;
        }

        private static string? TakeValue(List<string> args, string name)
        {
            var i = args.FindIndex(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
            if (i < 0 || i + 1 >= args.Count) return null;
            var v = args[i + 1];
            args.RemoveRange(i, 2);
            return v;
        }
    }
}
