using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Seedream.HelpGen
{
    /// <summary>
    /// about_*.md to the plain-text layout of about_*.help.txt files: section titles in capitals at
    /// the margin, text indented four spaces and wrapped at 80 columns, code indented eight, tables
    /// kept as they are (the markdown pipes read fine as text).
    /// </summary>
    public static class AboutTopic
    {
        private const int Width = 80;

        public static string Convert(string markdown)
        {
            var document = MarkdownReader.Read(markdown);
            var output = new StringBuilder();
            var title = document.Children.FirstOrDefault(s => s.Level == 1);
            if (title != null)
            {
                output.Append("TOPIC\n");
                output.Append("    ").Append(title.Title.Trim()).Append("\n\n");
                Body(title.Blocks, 4, output);
                foreach (var section in title.Children) Write(section, output);
            }
            return output.ToString().TrimEnd('\n') + "\n";
        }

        private static void Write(Section section, StringBuilder output)
        {
            var heading = MarkdownReader.PlainText(section.Title.Trim());
            if (section.Level <= 2)
                output.Append(heading.ToUpperInvariant()).Append("\n");
            else
                output.Append("  ").Append(heading).Append("\n").Append("  ").Append(new string('-', heading.Length)).Append("\n");
            Body(section.Blocks, 4, output);
            foreach (var child in section.Children) Write(child, output);
        }

        private static void Body(IReadOnlyList<Block> blocks, int indent, StringBuilder output)
        {
            var pad = new string(' ', indent);
            for (var i = 0; i < blocks.Count; i++)
            {
                var block = blocks[i];
                if (block.IsCode)
                {
                    foreach (var line in block.Text.Split('\n')) output.Append(line.Length == 0 ? string.Empty : pad + "    " + line).Append('\n');
                }
                else if (block.IsTable)
                {
                    // A table becomes a definition list: the first cell, then the others indented
                    // under it. Wide pipe tables do not fit an 80-column console.
                    var rows = block.Text.Split('\n').Select(Cells).Where(r => r.Count > 0).ToList();
                    foreach (var row in rows.Skip(1).Where(r => !r.All(c => c.Trim('-', ':').Length == 0)))
                    {
                        Wrap(row[0], pad, pad, output);
                        foreach (var cell in row.Skip(1)) Wrap(cell, pad + "    ", pad + "    ", output);
                    }
                }
                else
                {
                    var text = MarkdownReader.PlainText(block.Text);
                    var bullet = IsBullet(text);
                    if (bullet) text = text.Substring(2);
                    Wrap(text, pad + (bullet ? "- " : string.Empty), pad + (bullet ? "  " : string.Empty), output);
                    // Items of one list stay together.
                    if (bullet && i + 1 < blocks.Count && !blocks[i + 1].IsCode && !blocks[i + 1].IsTable && IsBullet(MarkdownReader.PlainText(blocks[i + 1].Text))) continue;
                }
                output.Append('\n');
            }
        }

        private static bool IsBullet(string text) => text.StartsWith("- ", StringComparison.Ordinal) || text.StartsWith("* ", StringComparison.Ordinal);

        private static List<string> Cells(string row) =>
            row.Trim().Trim('|').Split('|').Select(c => MarkdownReader.PlainText(c.Trim())).ToList();

        private static void Wrap(string text, string first, string rest, StringBuilder output)
        {
            var line = new StringBuilder(first);
            var empty = true;
            foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > Width)
                {
                    output.Append(line).Append('\n');
                    line.Clear().Append(rest);
                    empty = true;
                }
                if (!empty) line.Append(' ');
                line.Append(word);
                empty = false;
            }
            output.Append(line).Append('\n');
        }
    }
}
