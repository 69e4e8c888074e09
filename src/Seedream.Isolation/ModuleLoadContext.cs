using System.Reflection;
using System.Runtime.Loader;

namespace Seedream.Isolation
{
    /// <summary>
    /// Loads Seedream.Crypto and the third-party library behind it (BouncyCastle.Cryptography) from the
    /// module's dependencies/ folder into a load context of their own. Another module that loaded a
    /// different copy of such a library into the default context then cannot break ours, and ours
    /// cannot break theirs. Seedream.Crypto's surface is byte arrays and booleans, and the runtime's
    /// own assemblies (System.*, Microsoft.*) are shared, so nothing else needs to cross. Seedream.Core
    /// stays in the default context: PowerShell resolves type literals such as [Seedream.EditResult]
    /// only there.
    /// </summary>
    public sealed class ModuleLoadContext : AssemblyLoadContext
    {
        /// <summary>The one assembly Seedream.Core (in the default context) reaches into this context for.</summary>
        public const string BridgeAssembly = "Seedream.Crypto";

        private static readonly object Gate = new object();
        private static ModuleLoadContext? _instance;
        private static bool _hooked;

        private readonly string _directory;

        private ModuleLoadContext(string directory) : base("Seedream", isCollectible: false)
        {
            _directory = directory;
        }

        /// <summary>The context's folder (dependencies/).</summary>
        public string Directory => _directory;

        /// <summary>
        /// Creates the context (once per process: a re-imported module keeps using the copy that
        /// Seedream.Core is already bound to) and makes the default context find Seedream.Crypto in it.
        /// </summary>
        public static void Install(string directory)
        {
            lock (Gate)
            {
                _instance ??= new ModuleLoadContext(directory);
                if (_hooked) return;
                Default.Resolving += ResolveBridge;
                _hooked = true;
            }
        }

        /// <summary>Stops serving Seedream.Crypto to the default context (module removed). Already-bound code keeps working.</summary>
        public static void Uninstall()
        {
            lock (Gate)
            {
                if (!_hooked) return;
                Default.Resolving -= ResolveBridge;
                _hooked = false;
            }
        }

        private static Assembly? ResolveBridge(AssemblyLoadContext context, AssemblyName name)
        {
            var self = _instance;
            if (self == null || !string.Equals(name.Name, BridgeAssembly, StringComparison.OrdinalIgnoreCase)) return null;
            return self.LoadFromAssemblyName(name);
        }

        /// <inheritdoc />
        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == null || IsPlatformName(name.Name)) return null; // the runtime's copy, shared
            var path = Path.Combine(_directory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        private static bool IsPlatformName(string name) =>
            name.StartsWith("System.", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("Microsoft.", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "System", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "netstandard", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "mscorlib", StringComparison.OrdinalIgnoreCase);
    }
}
