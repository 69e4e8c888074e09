using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// On Windows PowerShell 5.1 (.NET Framework) there are no binding redirects for modules, and
    /// System.Text.Json's own dependencies ask for versions that disagree with each other. The
    /// resolver loads them from the module's dependencies/ folder by simple name. PowerShell 7 has
    /// all of them in the runtime already, so there the resolver finds nothing to do.
    /// </summary>
    public sealed class ModuleInit : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string DependencyDir =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInit).Assembly.Location) ?? ".", "dependencies");

        public void OnImport()
        {
            if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve += Resolve;
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (IsNetFramework) AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
            Session.SessionStore.DisposeAll();
        }

        private static bool IsNetFramework =>
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            if (name == null) return null;
            var path = Path.Combine(DependencyDir, name + ".dll");
            return System.IO.File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
