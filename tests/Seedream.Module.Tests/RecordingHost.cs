using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace Seedream.Module.Tests
{
    /// <summary>A host that records everything written to it (WhatIf messages, Out-Default text).</summary>
    internal sealed class RecordingHost : PSHost
    {
        private readonly Guid _id = Guid.NewGuid();
        private readonly RecordingUI _ui = new RecordingUI();

        public string Text => _ui.Text;
        public void Clear() => _ui.Clear();

        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
        public override Guid InstanceId => _id;
        public override string Name => "RecordingHost";
        public override PSHostUserInterface UI => _ui;
        public override Version Version => new Version(1, 0);
        public override void EnterNestedPrompt() { }
        public override void ExitNestedPrompt() { }
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
        public override void SetShouldExit(int exitCode) { }

        private sealed class RecordingUI : PSHostUserInterface
        {
            private readonly StringBuilder _text = new StringBuilder();
            private readonly RawUI _raw = new RawUI();

            public string Text { get { lock (_text) return _text.ToString(); } }
            public void Clear() { lock (_text) _text.Clear(); }
            private void Add(string s) { lock (_text) _text.Append(s); }

            public override PSHostRawUserInterface RawUI => _raw;
            public override void Write(string value) => Add(value);
            public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Add(value);
            public override void WriteLine(string value) => Add(value + "\n");
            public override void WriteErrorLine(string value) => Add(value + "\n");
            public override void WriteDebugLine(string message) => Add("DEBUG: " + message + "\n");
            public override void WriteVerboseLine(string message) => Add("VERBOSE: " + message + "\n");
            public override void WriteWarningLine(string message) => Add("WARNING: " + message + "\n");
            public override void WriteProgress(long sourceId, ProgressRecord record) => Add("PROGRESS: " + record.StatusDescription + "\n");
            public override string ReadLine() => string.Empty;
            public override SecureString ReadLineAsSecureString() => new SecureString();
            public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw new NotSupportedException();
            public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) => throw new NotSupportedException();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
        }

        private sealed class RawUI : PSHostRawUserInterface
        {
            public override ConsoleColor BackgroundColor { get; set; }
            public override ConsoleColor ForegroundColor { get; set; }
            public override Size BufferSize { get => new Size(200, 9999); set { } }
            public override Coordinates CursorPosition { get; set; }
            public override int CursorSize { get; set; }
            public override bool KeyAvailable => false;
            public override Size MaxPhysicalWindowSize => new Size(200, 100);
            public override Size MaxWindowSize => new Size(200, 100);
            public override Coordinates WindowPosition { get; set; }
            public override Size WindowSize { get => new Size(200, 100); set { } }
            public override string WindowTitle { get; set; } = "";
            public override void FlushInputBuffer() { }
            public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
            public override KeyInfo ReadKey(ReadKeyOptions options) => default;
            public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
            public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
            public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
        }
    }
}
