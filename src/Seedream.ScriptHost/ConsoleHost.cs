using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace Seedream.ScriptHost
{
    /// <summary>Just enough of a PowerShell host to render output, streams and progress on a console.</summary>
    internal sealed class ConsoleHost : PSHost
    {
        private readonly Guid _id = Guid.NewGuid();
        private readonly ConsoleUI _ui = new ConsoleUI();

        public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
        public override Guid InstanceId => _id;
        public override string Name => "Seedream.ScriptHost";
        public override PSHostUserInterface UI => _ui;
        public override Version Version => new Version(1, 0);
        public int ExitCode { get; private set; }
        public bool ShouldExit { get; private set; }

        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }

        public override void SetShouldExit(int exitCode)
        {
            ShouldExit = true;
            ExitCode = exitCode;
        }
    }

    internal sealed class ConsoleUI : PSHostUserInterface
    {
        private readonly ConsoleRawUI _raw = new ConsoleRawUI();
        private string? _lastProgress;

        public override PSHostRawUserInterface RawUI => _raw;

        public override void Write(string value) => Console.Write(value);
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Console.Write(value);
        public override void WriteLine(string value) => Console.WriteLine(value);
        public override void WriteErrorLine(string value) => Console.Error.WriteLine(value);
        public override void WriteDebugLine(string message) => Console.WriteLine("DEBUG: " + message);
        public override void WriteVerboseLine(string message) => Console.WriteLine("VERBOSE: " + message);
        public override void WriteWarningLine(string message) => Console.WriteLine("WARNING: " + message);

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
            // One line per change of status keeps logs readable where no live bar can be drawn.
            if (record.RecordType == ProgressRecordType.Completed) return;
            var line = $"[{record.Activity}] {record.StatusDescription}{(string.IsNullOrEmpty(record.CurrentOperation) ? "" : " - " + record.CurrentOperation)}";
            if (line == _lastProgress) return;
            _lastProgress = line;
            Console.WriteLine(line);
        }

        public override string ReadLine() => Console.ReadLine() ?? string.Empty;
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("This host does not read secrets interactively.");
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new NotSupportedException("This host cannot prompt. Pass every mandatory parameter.");
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
            throw new NotSupportedException("This host cannot prompt for a choice.");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new NotSupportedException("This host cannot prompt for credentials.");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException("This host cannot prompt for credentials.");
    }

    internal sealed class ConsoleRawUI : PSHostRawUserInterface
    {
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
        public override Size BufferSize { get => new Size(Width, 9999); set { } }
        public override Coordinates CursorPosition { get; set; }
        public override int CursorSize { get; set; }
        public override bool KeyAvailable => false;
        public override Size MaxPhysicalWindowSize => new Size(Width, 100);
        public override Size MaxWindowSize => new Size(Width, 100);
        public override Coordinates WindowPosition { get; set; }
        public override Size WindowSize { get => new Size(Width, 50); set { } }
        public override string WindowTitle { get; set; } = "Seedream";

        private static int Width
        {
            get
            {
                try { return Console.IsOutputRedirected ? 160 : Math.Max(80, Console.WindowWidth); }
                catch (Exception) { return 160; }
            }
        }

        public override void FlushInputBuffer() { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
    }
}
