using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Seedream.BareHost
{
    /// <summary>
    /// Usage: Seedream.BareHost script.ps1. Writes each output object's text to stdout and each error
    /// to stderr; exit code 1 when the script wrote an error or threw.
    /// </summary>
    internal static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length != 1 || !File.Exists(args[0]))
            {
                Console.Error.WriteLine("usage: Seedream.BareHost script.ps1");
                return 2;
            }

            using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript(File.ReadAllText(args[0]));
            var failed = false;
            try
            {
                foreach (var item in ps.Invoke()) Console.WriteLine(item?.ToString());
            }
            catch (RuntimeException ex)
            {
                Console.Error.WriteLine(ex.ErrorRecord?.ToString() ?? ex.Message);
                failed = true;
            }

            foreach (var error in ps.Streams.Error)
            {
                Console.Error.WriteLine($"{error.FullyQualifiedErrorId}: {error} {error.Exception}");
                failed = true;
            }

            return failed ? 1 : 0;
        }
    }
}
