using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Seedream.HelpGen
{
    /// <summary>
    /// The .nuspec for the module package, with the metadata Publish-PSResource derives from the
    /// manifest (id, version, authors, owners, description, release notes, copyright, tags, project
    /// and licence) and its discovery tags (PSModule, PSCmdlet_X, PSCommand_X, PSIncludes_Cmdlet),
    /// so the PowerShell Gallery and Find-PSResource -Command can find the cmdlets. The files are the
    /// assembled module folder at the package root, as Publish-PSResource lays them out.
    /// </summary>
    public static class NuspecWriter
    {
        private static readonly XNamespace Ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

        public static void Write(PSModuleInfo module, string repoRoot, string path)
        {
            var psData = PSData(module);
            var version = NuGetVersion(module.Version);
            if (psData["Prerelease"] is string pre && pre.Length > 0) version += "-" + pre.TrimStart('-');
            var cmdlets = module.ExportedCmdlets.Keys.OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();
            var functions = module.ExportedFunctions.Keys.OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();

            var tags = new List<string>(module.Tags ?? Enumerable.Empty<string>()) { "PSModule" };
            if (cmdlets.Count > 0) tags.Add("PSIncludes_Cmdlet");
            if (functions.Count > 0) tags.Add("PSIncludes_Function");
            tags.AddRange(cmdlets.SelectMany(c => new[] { "PSCmdlet_" + c, "PSCommand_" + c }));
            tags.AddRange(functions.SelectMany(f => new[] { "PSFunction_" + f, "PSCommand_" + f }));
            // NuGet tags are space separated, so a tag cannot contain one.
            var tagText = string.Join(" ", tags.Select(t => t.Replace(' ', '_')).Distinct(StringComparer.OrdinalIgnoreCase));

            var metadata = new XElement(Ns + "metadata",
                new XElement(Ns + "id", module.Name),
                new XElement(Ns + "version", version),
                new XElement(Ns + "authors", module.Author),
                new XElement(Ns + "owners", string.IsNullOrEmpty(module.CompanyName) ? module.Author : module.CompanyName),
                new XElement(Ns + "requireLicenseAcceptance", "false"),
                new XElement(Ns + "license", new XAttribute("type", "expression"), "MIT"),
                module.ProjectUri == null ? null : new XElement(Ns + "projectUrl", module.ProjectUri.AbsoluteUri),
                module.IconUri == null ? null : new XElement(Ns + "iconUrl", module.IconUri.AbsoluteUri),
                new XElement(Ns + "description", module.Description),
                string.IsNullOrEmpty(module.ReleaseNotes) ? null : new XElement(Ns + "releaseNotes", module.ReleaseNotes),
                string.IsNullOrEmpty(module.Copyright) ? null : new XElement(Ns + "copyright", module.Copyright),
                new XElement(Ns + "tags", tagText),
                new XElement(Ns + "dependencies", module.RequiredModules.Select(m =>
                    new XElement(Ns + "dependency", new XAttribute("id", m.Name), new XAttribute("version", m.Version?.ToString() ?? "0.0.0")))));

            var license = Path.Combine(repoRoot, "LICENSE");
            var files = new XElement(Ns + "files",
                new XElement(Ns + "file", new XAttribute("src", "**"), new XAttribute("target", "")),
                File.Exists(license) ? new XElement(Ns + "file", new XAttribute("src", license), new XAttribute("target", "LICENSE")) : null);

            var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
            using var writer = XmlWriter.Create(path, settings);
            new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement(Ns + "package", metadata, files)).Save(writer);
        }

        /// <summary>NuGet's normal form: at least three parts (1.0 becomes 1.0.0), a fourth only when not zero.</summary>
        public static string NuGetVersion(Version v) =>
            v.Revision > 0 ? v.ToString(4) : new Version(v.Major, v.Minor, Math.Max(v.Build, 0)).ToString(3);

        private static Hashtable PSData(PSModuleInfo module)
        {
            var privateData = module.PrivateData as Hashtable ?? (module.PrivateData as PSObject)?.BaseObject as Hashtable;
            var psData = privateData?["PSData"];
            return psData as Hashtable ?? (psData as PSObject)?.BaseObject as Hashtable ?? new Hashtable();
        }
    }
}
