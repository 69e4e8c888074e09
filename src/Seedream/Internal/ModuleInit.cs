using System.Reflection;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Makes the assemblies in dependencies/ (Seedream.Crypto and the libraries behind it) reachable;
    /// no runtime probes that folder on its own.
    /// On PowerShell 7 they load into the module's own AssemblyLoadContext (Seedream.Isolation), so a
    /// different copy of BouncyCastle.Cryptography that another module loaded first cannot break
    /// webhook verification; the runtime's System.* / Microsoft.* assemblies stay shared, and
    /// Seedream.Core stays in the default context, where PowerShell finds its types by name.
    /// On Windows PowerShell 5.1 (.NET Framework) there are no load contexts and no binding redirects
    /// for modules, and System.Text.Json's own dependencies ask for versions that disagree with each
    /// other, so a resolve handler serves every name found in the folder.
    /// </summary>
    public sealed class ModuleInit : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private const string IsolationAssembly = "Seedream.Isolation";
        private const string IsolationType = "Seedream.Isolation.ModuleLoadContext";

        private static readonly string DependencyDir =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInit).Assembly.Location) ?? ".", "dependencies");

        public void OnImport()
        {
            if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve += Resolve;
            else CallIsolation("Install", DependencyDir);
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            Session.SessionStore.Forget(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
            if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
            else CallIsolation("Uninstall");
        }

        private static bool IsNetFramework =>
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

        /// <summary>Seedream.Isolation targets net8.0, so this netstandard2.0 assembly reaches it by name.</summary>
        private static void CallIsolation(string method, params object[] args)
        {
            var path = Path.Combine(DependencyDir, IsolationAssembly + ".dll");
            // Loaded into the default context by path (once per process; it has no dependencies of its own).
            var assembly = Assembly.LoadFrom(path);
            var type = assembly.GetType(IsolationType, throwOnError: true)!;
            type.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args);
        }

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var requested = new AssemblyName(args.Name);
            var name = requested.Name;
            if (name == null) return null;

            // Another module may have loaded the same library already: share it rather than load a second copy.
            foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
            {
                var loadedName = loaded.GetName();
                if (string.Equals(loadedName.Name, name, StringComparison.OrdinalIgnoreCase)
                    && (requested.Version == null || loadedName.Version >= requested.Version))
                    return loaded;
            }

            var path = Path.Combine(DependencyDir, name + ".dll");
            return System.IO.File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
