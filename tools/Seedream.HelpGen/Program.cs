using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;

namespace Seedream.HelpGen
{
    /// <summary>
    /// Usage:
    ///   Seedream.HelpGen help   &lt;repo root&gt;                  writes output/Seedream/en-US (MAML + about topics)
    ///   Seedream.HelpGen nuspec &lt;repo root&gt; &lt;nuspec path&gt;    writes the module package's .nuspec
    /// Problems with the docs are printed as MSBuild warnings; only a broken module or repository
    /// (nothing to read) ends with a non-zero exit code.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length < 2 || (args[0] != "help" && args[0] != "nuspec") || (args[0] == "nuspec" && args.Length < 3))
            {
                Console.Error.WriteLine("usage: Seedream.HelpGen help <repo root> | nuspec <repo root> <nuspec path>");
                return 2;
            }
            var root = Path.GetFullPath(args[1]);
            var moduleDir = Path.Combine(root, "output", "Seedream");
            var manifest = Path.Combine(moduleDir, "Seedream.psd1");
            if (!File.Exists(manifest))
            {
                Console.Error.WriteLine($"{manifest}: error SDHELP00: the module is not built (run dotnet build Seedream.Module.sln).");
                return 1;
            }
            var warnings = new Warnings();
            using var module = ModuleSession.Import(manifest);
            if (args[0] == "nuspec")
            {
                var path = Path.GetFullPath(args[2]);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                NuspecWriter.Write(module.Module, root, path);
                Console.WriteLine($"Seedream.HelpGen: wrote {path}");
                return 0;
            }

            var docsDir = Path.Combine(root, "docs", "en-US");
            var helpDir = Path.Combine(moduleDir, "en-US");
            Directory.CreateDirectory(helpDir);
            var cmdlets = module.Cmdlets;
            var docs = new List<(CmdletInfo Cmdlet, CommandDoc? Doc)>();
            foreach (var cmdlet in cmdlets)
            {
                var file = Path.Combine(docsDir, cmdlet.Name + ".md");
                if (!File.Exists(file))
                {
                    warnings.Add(file, $"{cmdlet.Name} has no help source; Get-Help will show only its syntax.");
                    docs.Add((cmdlet, null));
                    continue;
                }
                var doc = CommandDoc.Parse(File.ReadAllText(file), file, warnings);
                if (!string.Equals(doc.Name, cmdlet.Name, StringComparison.OrdinalIgnoreCase))
                    warnings.Add(file, $"the title '# {doc.Name}' does not name {cmdlet.Name}.");
                docs.Add((cmdlet, doc));
            }
            if (Directory.Exists(docsDir))
            {
                foreach (var file in Directory.GetFiles(docsDir, "*.md"))
                {
                    var name = Path.GetFileNameWithoutExtension(file);
                    if (name.StartsWith("about_", StringComparison.OrdinalIgnoreCase)) continue;
                    if (!cmdlets.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                        warnings.Add(file, $"documents {name}, which the module does not export.");
                }
            }

            var mamlPath = Path.Combine(helpDir, "Seedream.dll-Help.xml");
            MamlWriter.Write(docs, mamlPath, warnings);
            Console.WriteLine($"Seedream.HelpGen: wrote {mamlPath} ({docs.Count} cmdlets)");

            if (Directory.Exists(docsDir))
            {
                foreach (var file in Directory.GetFiles(docsDir, "about_*.md"))
                {
                    var target = Path.Combine(helpDir, Path.GetFileNameWithoutExtension(file) + ".help.txt");
                    File.WriteAllText(target, AboutTopic.Convert(File.ReadAllText(file)), new UTF8Encoding(false));
                    Console.WriteLine($"Seedream.HelpGen: wrote {target}");
                }
            }
            warnings.Print();
            return 0;
        }
    }

    /// <summary>Doc problems, printed in MSBuild's canonical format so they show as build warnings.</summary>
    public sealed class Warnings
    {
        private readonly List<string> _lines = new List<string>();
        public int Count => _lines.Count;
        public void Add(string file, string message) => _lines.Add($"{file}: warning SDHELP01: {message}");
        public void Print()
        {
            foreach (var line in _lines) Console.WriteLine(line);
        }
    }

    /// <summary>The built module imported into a hosted engine, as users import it.</summary>
    public sealed class ModuleSession : IDisposable
    {
        private readonly Runspace _runspace;

        private ModuleSession(Runspace runspace, PSModuleInfo module)
        {
            _runspace = runspace;
            Module = module;
        }

        public PSModuleInfo Module { get; }

        /// <summary>Exported cmdlets, by name.</summary>
        public IReadOnlyList<CmdletInfo> Cmdlets => Module.ExportedCmdlets.Values.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();

        public static ModuleSession Import(string manifest)
        {
            var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddCommand("Import-Module").AddParameter("Name", manifest).AddParameter("PassThru").AddParameter("ErrorAction", "Stop");
            var result = ps.Invoke();
            var module = result.Select(o => o.BaseObject).OfType<PSModuleInfo>().FirstOrDefault()
                ?? throw new InvalidOperationException($"Import-Module {manifest} returned no module.");
            return new ModuleSession(runspace, module);
        }

        public void Dispose() => _runspace.Dispose();
    }
}
