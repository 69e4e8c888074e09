using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Seedream.HelpGen
{
    /// <summary>A piece of markdown body: a paragraph (or list item, or table row) or a fenced code block.</summary>
    public sealed class Block
    {
        public Block(string text, string? codeLanguage = null, bool isCode = false, bool isTable = false)
        {
            Text = text;
            CodeLanguage = codeLanguage;
            IsCode = isCode;
            IsTable = isTable;
        }

        public string Text { get; }
        public string? CodeLanguage { get; }
        public bool IsCode { get; }
        public bool IsTable { get; }
    }

    /// <summary>A heading and what follows it up to the next heading of the same or a higher level.</summary>
    public sealed class Section
    {
        public Section(string title, int level)
        {
            Title = title;
            Level = level;
        }

        public string Title { get; }
        public int Level { get; }
        public List<Block> Blocks { get; } = new List<Block>();
        public List<Section> Children { get; } = new List<Section>();

        public IEnumerable<string> Paragraphs => Blocks.Where(b => !b.IsCode).Select(b => b.Text);
    }

    /// <summary>
    /// Just enough markdown for help sources: ATX headings, paragraphs, "-"/"*"/"1." list items
    /// (each its own paragraph), pipe tables, fenced code blocks and YAML front matter (skipped).
    /// </summary>
    public static class MarkdownReader
    {
        private static readonly Regex Heading = new Regex(@"^(#{1,6})\s+(.*?)\s*#*\s*$");
        private static readonly Regex ListItem = new Regex(@"^\s*([-*+]|\d+[.)])\s+");

        public static Section Read(string markdown)
        {
            var lines = markdown.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
            var i = 0;
            if (lines.Length > 0 && lines[0].Trim() == "---")
            {
                for (i = 1; i < lines.Length && lines[i].Trim() != "---"; i++) { }
                i++;
            }
            var document = new Section(string.Empty, 0);
            var stack = new Stack<Section>();
            stack.Push(document);
            var paragraph = new StringBuilder();
            var paragraphIsTable = false;

            void Flush()
            {
                if (paragraph.Length > 0) stack.Peek().Blocks.Add(new Block(paragraph.ToString(), isTable: paragraphIsTable));
                paragraph.Clear();
                paragraphIsTable = false;
            }

            for (; i < lines.Length; i++)
            {
                var line = lines[i];
                var trimmed = line.Trim();
                if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
                {
                    Flush();
                    var fence = trimmed.Substring(0, 3);
                    var language = trimmed.Substring(3).Trim();
                    var code = new List<string>();
                    for (i++; i < lines.Length && !lines[i].Trim().StartsWith(fence, StringComparison.Ordinal); i++) code.Add(lines[i]);
                    stack.Peek().Blocks.Add(new Block(string.Join("\n", code), language, isCode: true));
                    continue;
                }
                var heading = Heading.Match(line);
                if (heading.Success)
                {
                    Flush();
                    var level = heading.Groups[1].Value.Length;
                    while (stack.Peek().Level >= level) stack.Pop();
                    var section = new Section(heading.Groups[2].Value, level);
                    stack.Peek().Children.Add(section);
                    stack.Push(section);
                    continue;
                }
                if (trimmed.Length == 0)
                {
                    Flush();
                    continue;
                }
                var isTableRow = trimmed.StartsWith("|", StringComparison.Ordinal);
                // A list item or a table row starts a block of its own; table rows stay one block per table.
                if (ListItem.IsMatch(line) || (isTableRow != paragraphIsTable && paragraph.Length > 0)) Flush();
                if (isTableRow)
                {
                    if (paragraph.Length > 0) paragraph.Append('\n');
                    paragraph.Append(trimmed);
                    paragraphIsTable = true;
                }
                else
                {
                    if (paragraph.Length > 0) paragraph.Append(' ');
                    paragraph.Append(trimmed);
                }
            }
            Flush();
            return document;
        }

        /// <summary>Markdown inline syntax to plain help text: code spans, bold, links.</summary>
        public static string PlainText(string text)
        {
            text = Regex.Replace(text, @"\[([^\]]+)\]\((https?://[^)]+)\)", "$1 ($2)");
            text = Regex.Replace(text, @"\[([^\]]+)\]\([^)]*\)", "$1");
            text = Regex.Replace(text, @"(?<!`)`([^`]+)`(?!`)", "$1");
            text = text.Replace("**", string.Empty);
            text = Regex.Replace(text, @"\\([\\`*_{}\[\]()#+\-.!|<>])", "$1");
            return text;
        }
    }

    public sealed class ExampleDoc
    {
        public string Title { get; set; } = string.Empty;
        public string Code { get; set; } = string.Empty;
        public List<string> Remarks { get; } = new List<string>();
    }

    public sealed class TypeDoc
    {
        public string TypeName { get; set; } = string.Empty;
        public List<string> Description { get; } = new List<string>();
    }

    /// <summary>The prose of one cmdlet's help, from docs/en-US/&lt;Verb-Noun&gt;.md (platyPS section names).</summary>
    public sealed class CommandDoc
    {
        public string Name { get; private set; } = string.Empty;
        public string? Synopsis { get; private set; }
        public List<string> Description { get; } = new List<string>();
        public List<ExampleDoc> Examples { get; } = new List<ExampleDoc>();
        public Dictionary<string, List<string>> Parameters { get; } = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        public List<TypeDoc> Inputs { get; } = new List<TypeDoc>();
        public List<TypeDoc> Outputs { get; } = new List<TypeDoc>();
        public List<string> Notes { get; } = new List<string>();
        public List<(string Text, string? Uri)> Links { get; } = new List<(string, string?)>();

        private static readonly Regex LinkPattern = new Regex(@"\[([^\]]+)\]\(([^)]*)\)");

        public static CommandDoc Parse(string markdown, string file, Warnings warnings)
        {
            var document = MarkdownReader.Read(markdown);
            var doc = new CommandDoc();
            var title = document.Children.FirstOrDefault(s => s.Level == 1);
            if (title == null)
            {
                warnings.Add(file, "has no '# Verb-Noun' title.");
                return doc;
            }
            doc.Name = title.Title.Trim();
            foreach (var section in title.Children)
            {
                switch (section.Title.Trim().ToUpperInvariant())
                {
                    case "SYNOPSIS":
                        doc.Synopsis = string.Join(" ", section.Paragraphs.Select(MarkdownReader.PlainText)).Trim();
                        break;
                    case "DESCRIPTION":
                        doc.Description.AddRange(AllParagraphs(section));
                        break;
                    case "EXAMPLES":
                        foreach (var ex in section.Children)
                        {
                            var code = ex.Blocks.Where(b => b.IsCode).ToList();
                            if (code.Count != 1) warnings.Add(file, $"example '{ex.Title}' should have exactly one code block (has {code.Count}).");
                            var example = new ExampleDoc { Title = ex.Title.Trim(), Code = string.Join("\n\n", code.Select(c => c.Text)).Trim('\n') };
                            example.Remarks.AddRange(ex.Paragraphs.Select(MarkdownReader.PlainText));
                            doc.Examples.Add(example);
                        }
                        break;
                    case "PARAMETERS":
                        foreach (var p in section.Children)
                        {
                            var name = p.Title.Trim();
                            if (string.Equals(name, "CommonParameters", StringComparison.OrdinalIgnoreCase)) continue;
                            doc.Parameters[name.TrimStart('-')] = p.Paragraphs.Select(MarkdownReader.PlainText).ToList();
                        }
                        break;
                    case "INPUTS":
                        doc.Inputs.AddRange(Types(section));
                        break;
                    case "OUTPUTS":
                        doc.Outputs.AddRange(Types(section));
                        break;
                    case "NOTES":
                        doc.Notes.AddRange(AllParagraphs(section));
                        break;
                    case "RELATED LINKS":
                        foreach (var b in section.Blocks)
                        {
                            foreach (Match m in LinkPattern.Matches(b.Text))
                            {
                                var uri = m.Groups[2].Value;
                                doc.Links.Add((m.Groups[1].Value, uri.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? uri : null));
                            }
                        }
                        break;
                    case "SYNTAX":
                        break; // written from the cmdlet's real parameter sets
                    default:
                        warnings.Add(file, $"unknown section '## {section.Title}' is ignored.");
                        break;
                }
            }
            return doc;
        }

        /// <summary>Paragraphs of a section and its subsections (subheadings become paragraphs of their own).</summary>
        private static IEnumerable<string> AllParagraphs(Section section)
        {
            foreach (var b in section.Blocks)
                yield return b.IsCode ? Indent(b.Text) : MarkdownReader.PlainText(b.Text);
            foreach (var child in section.Children)
            {
                yield return MarkdownReader.PlainText(child.Title).ToUpperInvariant();
                foreach (var p in AllParagraphs(child)) yield return p;
            }
        }

        private static string Indent(string code) => string.Join("\n", code.Split('\n').Select(l => "    " + l));

        private static IEnumerable<TypeDoc> Types(Section section)
        {
            foreach (var t in section.Children)
            {
                var type = new TypeDoc { TypeName = MarkdownReader.PlainText(t.Title.Trim()) };
                type.Description.AddRange(t.Paragraphs.Select(MarkdownReader.PlainText));
                yield return type;
            }
        }
    }
}
