namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Resolves -Path / -LiteralPath / folder parameters through PowerShell's provider API, so they
    /// are relative to the current PowerShell location (not the process directory) and work on
    /// any file-system drive. Must run on the pipeline thread (SessionState is not thread-safe).
    /// </summary>
    internal static class FileSystemPaths
    {
        public static bool IsFileSystem(ProviderInfo? provider) =>
            provider != null && string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// The file-system paths <paramref name="path"/> names: wildcards expanded unless
        /// <paramref name="literal"/>. Problems are added to <paramref name="errors"/>.
        /// </summary>
        public static List<string> Resolve(PSCmdlet cmdlet, string path, bool literal, List<ErrorRecord> errors)
        {
            var result = new List<string>();
            ProviderInfo? provider;
            try
            {
                if (literal)
                {
                    result.Add(cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _));
                }
                else
                {
                    result.AddRange(cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider));
                    if (result.Count == 0)
                    {
                        errors.Add(Errors.FileNotFound.Record($"No file matches '{path}'.", path));
                        return result;
                    }
                }
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is System.Management.Automation.DriveNotFoundException)
            {
                errors.Add(Errors.FileNotFound.Record($"Cannot find '{path}': it does not exist.", path, ex));
                return result;
            }
            catch (Exception ex) when (ex is ProviderNotFoundException || ex is NotSupportedException || ex is ArgumentException || ex is PSInvalidOperationException || ex is ProviderInvocationException)
            {
                errors.Add(Errors.PathInvalid.Record($"'{path}' is not a usable path: {ex.Message}", path, ex));
                return result;
            }
            if (!IsFileSystem(provider))
            {
                errors.Add(Errors.PathNotFileSystem.Record($"'{path}' is on the {provider?.Name ?? "unknown"} provider; only file-system paths can be used.", path));
                result.Clear();
            }
            return result;
        }

        /// <summary>
        /// A folder for output (it need not exist yet). Null with <paramref name="error"/> set when
        /// the path is not on the file system or names an existing file.
        /// </summary>
        public static string? ResolveFolder(PSCmdlet cmdlet, string? path, out ErrorRecord? error)
        {
            error = null;
            var errors = new List<ErrorRecord>();
            var resolved = string.IsNullOrEmpty(path)
                ? CurrentFolder(cmdlet, errors)
                : Single(Resolve(cmdlet, path!, literal: true, errors));
            if (resolved == null)
            {
                error = errors.Count > 0 ? errors[0] : Errors.PathInvalid.Record($"'{path}' is not a usable folder.", path);
                return null;
            }
            if (System.IO.File.Exists(resolved))
            {
                error = Errors.DestinationNotFolder.Record($"'{resolved}' is a file, not a folder.", path);
                return null;
            }
            return resolved;
        }

        /// <summary>A single output file path (literal; it need not exist yet).</summary>
        public static string? ResolveFile(PSCmdlet cmdlet, string path, out ErrorRecord? error)
        {
            error = null;
            var errors = new List<ErrorRecord>();
            var resolved = Single(Resolve(cmdlet, path, literal: true, errors));
            if (resolved == null)
            {
                error = errors.Count > 0 ? errors[0] : Errors.PathInvalid.Record($"'{path}' is not a usable path.", path);
                return null;
            }
            if (Directory.Exists(resolved))
            {
                error = Errors.PathIsDirectory.Record($"'{resolved}' is a folder; -Path names the file to write. Use -Destination for a folder.", path);
                return null;
            }
            return resolved;
        }

        private static string? CurrentFolder(PSCmdlet cmdlet, List<ErrorRecord> errors)
        {
            var location = cmdlet.SessionState.Path.CurrentLocation;
            if (!IsFileSystem(location.Provider))
            {
                errors.Add(Errors.PathNotFileSystem.Record($"The current location '{location.Path}' is not a file-system folder; give -Destination.", location.Path));
                return null;
            }
            return location.ProviderPath;
        }

        private static string? Single(List<string> paths) => paths.Count == 1 ? paths[0] : null;
    }
}

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// The first problem of a local file that is to be read (a directory, missing, empty, or not
    /// readable), with the ErrorIds of the command that reads it: Send-SeedreamFile's File* or
    /// -Image's Image*.
    /// </summary>
    internal sealed class LocalFileCheck(string noun, ErrorKind isDirectory, ErrorKind notFound, ErrorKind empty, ErrorKind unreadable)
    {
        public static readonly LocalFileCheck Upload = new LocalFileCheck("File", Errors.FileIsDirectory, Errors.FileNotFound, Errors.FileEmpty, Errors.FileUnreadable);
        public static readonly LocalFileCheck Image = new LocalFileCheck("Image", Errors.ImageIsDirectory, Errors.ImageNotFound, Errors.ImageEmpty, Errors.ImageUnreadable);

        /// <summary>
        /// Checks the file and reads its first bytes into <paramref name="header"/> (an empty array
        /// only proves it opens); the ErrorRecord describes the first problem, null when there is none.
        /// </summary>
        public ErrorRecord? Check(string path, object? target, byte[] header, out FileInfo info, out int read)
        {
            info = new FileInfo(path);
            read = 0;
            if (Directory.Exists(path))
                return isDirectory.Record($"{noun} '{path}' is a directory, not a file.", target);
            if (!info.Exists)
                return notFound.Record($"{noun} '{path}' does not exist.", target);
            if (info.Length == 0)
                return empty.Record($"{noun} '{path}' is empty (0 bytes).", target);
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                read = fs.Read(header, 0, header.Length);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || ex is IOException || ex is System.Security.SecurityException)
            {
                return unreadable.Record($"{noun} '{path}' cannot be read: {ex.Message}", target, ex);
            }
            return null;
        }
    }
}
