using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Finds the module's third-party assemblies in its dependencies/ folder, which no runtime probes
    /// on its own. On Windows PowerShell 5.1 (.NET Framework) there are no binding redirects for
    /// modules, and System.Text.Json's own dependencies ask for versions that disagree with each
    /// other, so every name found there is served. On PowerShell 7 (.NET 8+) the runtime ships the
    /// System.* / Microsoft.* packages itself and its copies must win, so only the other libraries
    /// (BouncyCastle.Cryptography, used for webhook signatures) are served from the folder.
    /// </summary>
    public sealed class ModuleInit : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string DependencyDir =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInit).Assembly.Location) ?? ".", "dependencies");

        public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += Resolve;

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
            Session.SessionStore.Forget(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
        }

        private static bool IsNetFramework =>
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var requested = new AssemblyName(args.Name);
            var name = requested.Name;
            if (name == null) return null;
            if (!IsNetFramework && IsPlatformName(name)) return null;

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

        private static bool IsPlatformName(string name) =>
            name.StartsWith("System.", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("Microsoft.", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "netstandard", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "mscorlib", StringComparison.OrdinalIgnoreCase);
    }
}
