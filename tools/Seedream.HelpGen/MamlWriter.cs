using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Seedream.HelpGen
{
    /// <summary>
    /// Writes MAML (the XML that Get-Help reads for binary modules) from the cmdlets' real metadata
    /// plus the prose of their markdown sources. The element layout follows what platyPS writes, so
    /// Get-Help renders it the way users know.
    /// </summary>
    public static class MamlWriter
    {
        private static readonly XNamespace Msh = "http://msh";
        private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        /// <summary>ShouldProcess parameters: in the help (as platyPS does), with the usual wording.</summary>
        private static readonly Dictionary<string, string> ShouldProcessText = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
            ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
        };

        public static void Write(IReadOnlyList<(CmdletInfo Cmdlet, CommandDoc? Doc)> commands, string path, Warnings warnings)
        {
            var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
            foreach (var (cmdlet, doc) in commands) root.Add(CommandElement(cmdlet, doc, warnings));
            var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
            using var writer = XmlWriter.Create(path, settings);
            new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
        }

        private static XElement CommandElement(CmdletInfo cmdlet, CommandDoc? doc, Warnings warnings)
        {
            var file = $"docs/en-US/{cmdlet.Name}.md";
            var parameters = Parameters(cmdlet);
            if (doc != null)
            {
                if (string.IsNullOrWhiteSpace(doc.Synopsis)) warnings.Add(file, "has no SYNOPSIS.");
                if (doc.Description.Count == 0) warnings.Add(file, "has no DESCRIPTION.");
                if (doc.Examples.Count < 2) warnings.Add(file, $"has {doc.Examples.Count} example(s); at least two are expected.");
                foreach (var p in parameters.Where(p => !ShouldProcessText.ContainsKey(p.Name)))
                {
                    if (!doc.Parameters.TryGetValue(p.Name, out var text) || text.Count == 0)
                        warnings.Add(file, $"parameter -{p.Name} has no description.");
                }
                foreach (var documented in doc.Parameters.Keys.Where(k => parameters.All(p => !string.Equals(p.Name, k, StringComparison.OrdinalIgnoreCase))))
                    warnings.Add(file, $"documents -{documented}, which {cmdlet.Name} does not have.");
                foreach (var output in cmdlet.OutputType.Select(t => t.Name).Where(n => n != "System.Void"))
                {
                    if (!doc.Outputs.Any(o => string.Equals(o.TypeName, output, StringComparison.OrdinalIgnoreCase)))
                        warnings.Add(file, $"OUTPUTS does not mention {output}, which {cmdlet.Name} declares.");
                }
            }

            var verbNoun = cmdlet.Name.Split(new[] { '-' }, 2);
            var command = new XElement(Command + "command",
                new XAttribute(XNamespace.Xmlns + "maml", Maml),
                new XAttribute(XNamespace.Xmlns + "command", Command),
                new XAttribute(XNamespace.Xmlns + "dev", Dev),
                new XElement(Command + "details",
                    new XElement(Command + "name", cmdlet.Name),
                    new XElement(Command + "verb", verbNoun[0]),
                    new XElement(Command + "noun", verbNoun.Length > 1 ? verbNoun[1] : string.Empty),
                    Description(doc?.Synopsis == null ? Array.Empty<string>() : new[] { doc.Synopsis })),
                Description(doc?.Description ?? new List<string>()),
                new XElement(Command + "syntax", cmdlet.ParameterSets.Select(set => SyntaxItem(cmdlet, set, parameters, doc))),
                new XElement(Command + "parameters", parameters.Select(p => ParameterElement(p, doc, inSyntax: false))),
                new XElement(Command + "inputTypes", InputTypes(doc, parameters)),
                new XElement(Command + "returnValues", ReturnValues(cmdlet, doc)));
            if (doc != null && doc.Notes.Count > 0)
                command.Add(new XElement(Maml + "alertSet", new XElement(Maml + "alert", doc.Notes.Select(Para))));
            command.Add(new XElement(Command + "examples", (doc?.Examples ?? new List<ExampleDoc>()).Select((e, i) => new XElement(Command + "example",
                new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                new XElement(Dev + "code", e.Code),
                new XElement(Dev + "remarks", e.Remarks.Select(Para))))));
            command.Add(new XElement(Command + "relatedLinks", (doc?.Links ?? new List<(string, string?)>()).Select(l => new XElement(Maml + "navigationLink",
                new XElement(Maml + "linkText", l.Text),
                new XElement(Maml + "uri", l.Uri ?? string.Empty)))));
            return command;
        }

        private static XElement Description(IEnumerable<string> paragraphs) => new XElement(Maml + "description", paragraphs.Select(Para));

        private static XElement Para(string text) => new XElement(Maml + "para", text);

        /// <summary>One parameter as help shows it, merged over the cmdlet's parameter sets.</summary>
        private sealed class ParameterModel
        {
            public string Name { get; set; } = string.Empty;
            public Type Type { get; set; } = typeof(object);
            public bool Mandatory { get; set; }
            public int Position { get; set; } = int.MinValue;
            public bool ByValue { get; set; }
            public bool ByPropertyName { get; set; }
            public IReadOnlyList<string> Aliases { get; set; } = Array.Empty<string>();
            public bool Globbing { get; set; }
            public IReadOnlyList<string> ValidValues { get; set; } = Array.Empty<string>();
            public string DefaultValue { get; set; } = "None";
            public bool IsSwitch => Type == typeof(SwitchParameter);
        }

        private static List<ParameterModel> Parameters(CmdletInfo cmdlet)
        {
            var defaults = DefaultValues(cmdlet);
            var result = new List<ParameterModel>();
            var defaultSet = cmdlet.ParameterSets.FirstOrDefault(s => s.IsDefault) ?? cmdlet.ParameterSets.FirstOrDefault();
            var sets = defaultSet == null ? cmdlet.ParameterSets.ToList() : new[] { defaultSet }.Concat(cmdlet.ParameterSets.Where(s => s != defaultSet)).ToList();
            foreach (var set in sets)
            {
                foreach (var p in set.Parameters)
                {
                    if (IsHidden(p) || result.Any(r => r.Name == p.Name)) continue;
                    result.Add(Model(p, defaults));
                }
            }
            // Positional parameters first, by position; then the rest by name; the ShouldProcess pair last.
            return result
                .OrderBy(p => ShouldProcessText.ContainsKey(p.Name) ? 2 : p.Position >= 0 ? 0 : 1)
                .ThenBy(p => p.Position >= 0 ? p.Position : 0)
                .ThenBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
                .ToList();
        }

        private static ParameterModel Model(CommandParameterInfo p, IDictionary<string, object?> defaults)
        {
            var validate = p.Attributes.OfType<ValidateSetAttribute>().FirstOrDefault();
            defaults.TryGetValue(p.Name, out var value);
            return new ParameterModel
            {
                Name = p.Name,
                Type = p.ParameterType,
                Mandatory = p.IsMandatory,
                Position = p.Position,
                ByValue = p.ValueFromPipeline,
                ByPropertyName = p.ValueFromPipelineByPropertyName,
                Aliases = p.Aliases.ToList(),
                Globbing = p.Attributes.OfType<SupportsWildcardsAttribute>().Any(),
                ValidValues = validate?.ValidValues.ToList() ?? (IReadOnlyList<string>)Array.Empty<string>(),
                DefaultValue = DefaultText(value, p.ParameterType),
            };
        }

        /// <summary>Common parameters (and -ProgressAction) are described by PowerShell itself; DontShow ones are internal plumbing.</summary>
        private static bool IsHidden(CommandParameterInfo p) =>
            (Cmdlet.CommonParameters.Contains(p.Name) && !ShouldProcessText.ContainsKey(p.Name))
            || p.Attributes.OfType<ParameterAttribute>().Any(a => a.DontShow);

        /// <summary>The values a fresh cmdlet object starts with: those are the defaults users get.</summary>
        private static IDictionary<string, object?> DefaultValues(CmdletInfo cmdlet)
        {
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            object? instance;
            try { instance = Activator.CreateInstance(cmdlet.ImplementingType); }
            catch (Exception) { return values; }
            foreach (var property in cmdlet.ImplementingType.GetProperties())
            {
                if (property.GetIndexParameters().Length > 0 || !property.CanRead) continue;
                try { values[property.Name] = property.GetValue(instance); }
                catch (Exception) { }
            }
            (instance as IDisposable)?.Dispose();
            return values;
        }

        private static string DefaultText(object? value, Type type)
        {
            switch (value)
            {
                case null: return type == typeof(SwitchParameter) ? "False" : "None";
                case SwitchParameter s: return s.IsPresent ? "True" : "False";
                case string s: return s.Length == 0 ? "None" : s;
                case bool b: return b ? "True" : "False";
                case ICollection c when c.Count == 0: return "None";
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                default: return value.ToString() ?? "None";
            }
        }

        private static XElement SyntaxItem(CmdletInfo cmdlet, CommandParameterSetInfo set, List<ParameterModel> all, CommandDoc? doc)
        {
            var defaults = DefaultValues(cmdlet);
            var ordered = set.Parameters.Where(p => !IsHidden(p))
                .Select((p, index) => (Info: p, Index: index))
                .OrderBy(x => x.Info.Position >= 0 ? 0 : 1)
                .ThenBy(x => x.Info.Position >= 0 ? x.Info.Position : 0)
                .ThenBy(x => ShouldProcessText.ContainsKey(x.Info.Name) ? 1 : 0)
                .ThenBy(x => x.Index)
                .Select(x => Model(x.Info, defaults));
            return new XElement(Command + "syntaxItem",
                new XElement(Maml + "name", cmdlet.Name),
                ordered.Select(p => ParameterElement(p, doc, inSyntax: true)));
        }

        private static XElement ParameterElement(ParameterModel p, CommandDoc? doc, bool inSyntax)
        {
            var text = doc != null && doc.Parameters.TryGetValue(p.Name, out var d) && d.Count > 0
                ? d
                : ShouldProcessText.TryGetValue(p.Name, out var standard) ? new List<string> { standard } : new List<string>();
            var pipeline = p.ByValue && p.ByPropertyName ? "True (ByValue, ByPropertyName)"
                : p.ByValue ? "True (ByValue)"
                : p.ByPropertyName ? "True (ByPropertyName)"
                : "False";
            var element = new XElement(Command + "parameter",
                new XAttribute("required", p.Mandatory ? "true" : "false"),
                new XAttribute("variableLength", p.Type.IsArray ? "true" : "false"),
                new XAttribute("globbing", p.Globbing ? "true" : "false"),
                new XAttribute("pipelineInput", pipeline),
                new XAttribute("position", p.Position >= 0 ? p.Position.ToString(CultureInfo.InvariantCulture) : "named"),
                new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
                new XElement(Maml + "name", p.Name),
                Description(text));
            if (inSyntax && p.ValidValues.Count > 0)
            {
                element.Add(new XElement(Command + "parameterValueGroup", p.ValidValues.Select(v =>
                    new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v))));
            }
            else if (!p.IsSwitch)
            {
                element.Add(new XElement(Command + "parameterValue",
                    new XAttribute("required", p.Mandatory ? "true" : "false"),
                    new XAttribute("variableLength", p.Type.IsArray ? "true" : "false"),
                    ShortName(p.Type)));
            }
            element.Add(new XElement(Dev + "type", new XElement(Maml + "name", FullName(p.Type)), new XElement(Maml + "uri")));
            element.Add(new XElement(Dev + "defaultValue", p.DefaultValue));
            return element;
        }

        private static IEnumerable<XElement> InputTypes(CommandDoc? doc, List<ParameterModel> parameters)
        {
            var documented = doc?.Inputs ?? new List<TypeDoc>();
            if (documented.Count > 0) return documented.Select(t => TypeElement("inputType", t.TypeName, t.Description));
            // No prose: list what binds from the pipeline, so the section is at least true.
            var piped = parameters.Where(p => p.ByValue || p.ByPropertyName).Select(p => FullName(p.Type)).Distinct().ToList();
            return piped.Count == 0
                ? new[] { TypeElement("inputType", "None", new[] { "This cmdlet takes no pipeline input." }) }
                : piped.Select(t => TypeElement("inputType", t, Array.Empty<string>()));
        }

        private static IEnumerable<XElement> ReturnValues(CmdletInfo cmdlet, CommandDoc? doc)
        {
            var documented = doc?.Outputs ?? new List<TypeDoc>();
            if (documented.Count > 0) return documented.Select(t => TypeElement("returnValue", t.TypeName, t.Description));
            var declared = cmdlet.OutputType.Select(t => t.Name).Where(n => n != "System.Void").ToList();
            return declared.Count == 0
                ? new[] { TypeElement("returnValue", "None", new[] { "This cmdlet writes no objects." }) }
                : declared.Select(t => TypeElement("returnValue", t, Array.Empty<string>()));
        }

        private static XElement TypeElement(string kind, string typeName, IEnumerable<string> description) =>
            new XElement(Command + kind,
                new XElement(Dev + "type", new XElement(Maml + "name", typeName), new XElement(Maml + "uri")),
                Description(description));

        private static Type Unwrap(Type t) => Nullable.GetUnderlyingType(t) ?? t;

        private static string ShortName(Type t)
        {
            t = Unwrap(t);
            if (t.IsArray) return ShortName(t.GetElementType()!) + "[]";
            return t.Name;
        }

        private static string FullName(Type t)
        {
            t = Unwrap(t);
            if (t.IsArray) return FullName(t.GetElementType()!) + "[]";
            return t.FullName ?? t.Name;
        }
    }
}
