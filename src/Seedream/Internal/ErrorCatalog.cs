using System.Reflection;

namespace Seedream.Commands
{
    /// <summary>
    /// One kind of failure: its stable ErrorId, its category and what it means. Every ErrorRecord the
    /// module writes is made from one of these, and the README's error table is checked against them.
    /// </summary>
    /// <remarks>Only the kinds in <see cref="Errors"/> are the module's; a kind made elsewhere is inert.</remarks>
    public sealed class ErrorKind(string id, ErrorCategory category, string meaning, bool categoryFollowsCause = false)
    {
        /// <summary>The ErrorId (FullyQualifiedErrorId starts with it).</summary>
        public string Id { get; } = id;
        /// <summary>The category; for a kind whose category follows the cause, the usual one.</summary>
        public ErrorCategory Category { get; } = category;
        /// <summary>When it happens, in a few words (the README's "When" column).</summary>
        public string Meaning { get; } = meaning;
        /// <summary>True when the category is the cause's (e.g. a failed download: connection, protocol, permission).</summary>
        public bool CategoryFollowsCause { get; } = categoryFollowsCause;

        /// <summary>An ErrorRecord of this kind for an exception.</summary>
        public ErrorRecord Record(Exception exception, object? target, ErrorCategory? causeCategory = null)
        {
            if (causeCategory.HasValue && !CategoryFollowsCause && causeCategory.Value != Category)
                throw new InvalidOperationException($"{Id} is always {Category}; the catalog does not let a call site choose {causeCategory}.");
            return new ErrorRecord(exception, Id, causeCategory ?? Category, target);
        }

        /// <summary>An ErrorRecord of this kind with its own message (a SeedreamException around <paramref name="inner"/>).</summary>
        public ErrorRecord Record(string message, object? target, Exception? inner = null)
        {
            var ex = inner != null && inner.Message == message ? inner : new SeedreamException(message, inner);
            return new ErrorRecord(ex, Id, Category, target);
        }

        public override string ToString() => Id;
    }

    /// <summary>
    /// The module's ErrorIds, in one place. Call sites name a kind (<c>Errors.PromptEmpty</c>) rather
    /// than spell an id and pick a category, so one id always has one category and one meaning.
    /// </summary>
    public static class Errors
    {
        // Connection and keys
        public static readonly ErrorKind ApiKeyMissing = new ErrorKind("SeedreamApiKeyMissing", ErrorCategory.AuthenticationError, "no key from Connect-Seedream or the environment (terminating)");
        public static readonly ErrorKind SecretManagementUnavailable = new ErrorKind("SeedreamSecretManagementUnavailable", ErrorCategory.NotInstalled, "`-SecretName` used but Get-Secret is not installed");
        public static readonly ErrorKind SecretNotFound = new ErrorKind("SeedreamSecretNotFound", ErrorCategory.ObjectNotFound, "the secret does not exist, returned nothing, or the vault failed");
        public static readonly ErrorKind SecretInvalidType = new ErrorKind("SeedreamSecretInvalidType", ErrorCategory.InvalidType, "the secret is not a SecureString, string or PSCredential");
        public static readonly ErrorKind InvalidProxyUrl = new ErrorKind("SeedreamInvalidProxyUrl", ErrorCategory.InvalidArgument, "proxy or base URL not absolute http(s)");
        public static readonly ErrorKind InsecureProxyUrl = new ErrorKind("SeedreamInsecureProxyUrl", ErrorCategory.SecurityError, "plain http to a non-loopback proxy or base URL (the key would travel in clear)");

        // Request input, refused before anything is sent
        public static readonly ErrorKind PromptEmpty = new ErrorKind("SeedreamPromptEmpty", ErrorCategory.InvalidArgument, "empty or whitespace prompt");
        public static readonly ErrorKind ImageRequired = new ErrorKind("SeedreamImageRequired", ErrorCategory.InvalidArgument, "no input image");
        public static readonly ErrorKind PromptRequired = new ErrorKind("SeedreamPromptRequired", ErrorCategory.InvalidArgument, "an earlier result was piped in without `-Prompt` (its prompt is not reused)");
        public static readonly ErrorKind NumImagesOutOfRange = new ErrorKind("SeedreamNumImagesOutOfRange", ErrorCategory.InvalidArgument, "`-NumImages` outside the endpoint's range");
        public static readonly ErrorKind MaxImagesOutOfRange = new ErrorKind("SeedreamMaxImagesOutOfRange", ErrorCategory.InvalidArgument, "`-MaxImages` outside the endpoint's range");
        public static readonly ErrorKind SeedOutOfRange = new ErrorKind("SeedreamSeedOutOfRange", ErrorCategory.InvalidArgument, "negative seed");
        public static readonly ErrorKind ImageSizeInvalid = new ErrorKind("SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument, "unknown preset, bad `WxH`, side outside 1–14142, incomplete hashtable");
        public static readonly ErrorKind EnhancePromptModeInvalid = new ErrorKind("SeedreamEnhancePromptModeInvalid", ErrorCategory.InvalidArgument, "not `standard` or `fast`");
        public static readonly ErrorKind OutputFormatInvalid = new ErrorKind("SeedreamOutputFormatInvalid", ErrorCategory.InvalidArgument, "`-OutputFormat` not one of the endpoint's formats (`jpeg`, `png`)");
        public static readonly ErrorKind ImageSizeOutOfRange = new ErrorKind("SeedreamImageSizeOutOfRange", ErrorCategory.InvalidArgument, "a custom size outside bounds the endpoint states as a rule (5.0 Pro, 4.5, 4.0 text-to-image, 3.0), or an aspect ratio beyond 1:16");
        public static readonly ErrorKind ImageCountLimitExceeded = new ErrorKind("SeedreamImageCountLimitExceeded", ErrorCategory.InvalidArgument, "4.5/4.0 edit: input images + MaxImages (one generation's outputs) over 15");
        public static readonly ErrorKind FieldNotSupported = new ErrorKind("SeedreamFieldNotSupported", ErrorCategory.InvalidArgument, "a parameter the endpoint's profile lacks (`-MaxImages`/`-Seed` on 5.0 Pro, `-Image` on text-to-image ...); `-AdditionalInput` still sends it");
        public static readonly ErrorKind EndpointKindMismatch = new ErrorKind("SeedreamEndpointKindMismatch", ErrorCategory.InvalidArgument, "an edit endpoint given to `New-SeedreamImage`");
        public static readonly ErrorKind ImageUrlSchemeUnsupported = new ErrorKind("SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument, "`ftp:`, `file:` and other schemes");
        public static readonly ErrorKind ImageUrlInvalid = new ErrorKind("SeedreamImageUrlInvalid", ErrorCategory.InvalidArgument, "malformed URL");
        public static readonly ErrorKind DataUriInvalid = new ErrorKind("SeedreamDataUriInvalid", ErrorCategory.InvalidArgument, "data URI not `data:<type>;base64,<valid base64>`");
        public static readonly ErrorKind ImageNotFound = new ErrorKind("SeedreamImageNotFound", ErrorCategory.ObjectNotFound, "local image missing");
        public static readonly ErrorKind ImageIsDirectory = new ErrorKind("SeedreamImageIsDirectory", ErrorCategory.InvalidArgument, "a directory given as image");
        public static readonly ErrorKind ImagePathInvalid = new ErrorKind("SeedreamImagePathInvalid", ErrorCategory.InvalidArgument, "an image path that is not a usable file-system path");
        public static readonly ErrorKind ImageEmpty = new ErrorKind("SeedreamImageEmpty", ErrorCategory.InvalidData, "0-byte image");
        public static readonly ErrorKind ImageNotAnImage = new ErrorKind("SeedreamImageNotAnImage", ErrorCategory.InvalidData, "file without an image signature, or a data URI of a non-image type");
        public static readonly ErrorKind ImageUnreadable = new ErrorKind("SeedreamImageUnreadable", ErrorCategory.ReadError, "file cannot be opened");
        public static readonly ErrorKind ImageTooLarge = new ErrorKind("SeedreamImageTooLarge", ErrorCategory.LimitsExceeded, "input image over 50 MB");
        public static readonly ErrorKind InvalidEndpoint = new ErrorKind("SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument, "endpoint id not `owner/alias[/path]`");
        public static readonly ErrorKind InvalidRequestId = new ErrorKind("SeedreamInvalidRequestId", ErrorCategory.InvalidArgument, "request id with characters other than letters, digits, `-`, `_`");
        public static readonly ErrorKind AdditionalInputInvalid = new ErrorKind("SeedreamAdditionalInputInvalid", ErrorCategory.InvalidArgument, "`-AdditionalInput` holds an empty key or values JSON cannot carry (a field it shares with a parameter is sent as given, with a warning)");
        public static readonly ErrorKind HeaderInvalid = new ErrorKind("SeedreamHeaderInvalid", ErrorCategory.InvalidArgument, "`-Header` name not `x-fal-*`");
        public static readonly ErrorKind StartTimeoutInvalid = new ErrorKind("SeedreamStartTimeoutInvalid", ErrorCategory.InvalidArgument, "`-StartTimeoutSec` ≤ 1");
        public static readonly ErrorKind WebhookUrlInvalid = new ErrorKind("SeedreamWebhookUrlInvalid", ErrorCategory.InvalidArgument, "webhook URL not absolute http(s) (plain http only warns)");
        public static readonly ErrorKind InvalidArgument = new ErrorKind("SeedreamInvalidArgument", ErrorCategory.InvalidArgument, "any other argument the client refuses (the message says which)");

        public static readonly ErrorKind ModelNotFound = new ErrorKind("SeedreamModelNotFound", ErrorCategory.ObjectNotFound, "`Get-SeedreamModel -Endpoint` without wildcards names no profiled endpoint");

        // fal's answers
        public static readonly ErrorKind InputRejected = new ErrorKind("SeedreamInputRejected", ErrorCategory.InvalidArgument, "fal answered 422 (its `detail` list is in the message)");
        public static readonly ErrorKind BadRequest = new ErrorKind("SeedreamBadRequest", ErrorCategory.InvalidOperation, "fal answered 400 (e.g. a header it refuses)");
        public static readonly ErrorKind Unauthorized = new ErrorKind("SeedreamUnauthorized", ErrorCategory.AuthenticationError, "401: the key is wrong");
        public static readonly ErrorKind Forbidden = new ErrorKind("SeedreamForbidden", ErrorCategory.PermissionDenied, "403: the key may not use this endpoint");
        public static readonly ErrorKind NotFound = new ErrorKind("SeedreamNotFound", ErrorCategory.ObjectNotFound, "unknown endpoint");
        public static readonly ErrorKind JobNotFound = new ErrorKind("SeedreamJobNotFound", ErrorCategory.ObjectNotFound, "unknown request id");
        public static readonly ErrorKind RateLimited = new ErrorKind("SeedreamRateLimited", ErrorCategory.LimitsExceeded, "429 after the retries");
        public static readonly ErrorKind ServerError = new ErrorKind("SeedreamServerError", ErrorCategory.ResourceUnavailable, "5xx after the retries (at submit, one that neither names a request nor is the ingress proxy's: the message says a job may exist and was not submitted again)");
        public static readonly ErrorKind StartTimeout = new ErrorKind("SeedreamStartTimeout", ErrorCategory.OperationTimeout, "the request did not start within `-StartTimeoutSec`");
        public static readonly ErrorKind WaitTimeout = new ErrorKind("SeedreamWaitTimeout", ErrorCategory.OperationTimeout, "`-TimeoutSec` expired (the remote request was cancelled, unless a journal keeps it)");
        public static readonly ErrorKind JobFailed = new ErrorKind("SeedreamJobFailed", ErrorCategory.InvalidResult, "the job completed with an error (also a genuine webhook delivery with status ERROR: fal's error text, target the request id)");
        public static readonly ErrorKind JobCancelled = new ErrorKind("SeedreamJobCancelled", ErrorCategory.OperationStopped, "the job was cancelled");
        public static readonly ErrorKind JobNotCompleted = new ErrorKind("SeedreamJobNotCompleted", ErrorCategory.ResourceUnavailable, "`Receive-SeedreamJob` on a job still queued or running");
        public static readonly ErrorKind ConnectionFailed = new ErrorKind("SeedreamConnectionFailed", ErrorCategory.ConnectionError, "no response after the retries (at submit, the connection lost or timed out after sending: the message says a job may exist and was not submitted again)");
        public static readonly ErrorKind ProtocolError = new ErrorKind("SeedreamProtocolError", ErrorCategory.ProtocolError, "a response that is not what fal sends (bad JSON, nested deeper than 64, too large, cut short, redirects)");
        public static readonly ErrorKind UnexpectedError = new ErrorKind("SeedreamUnexpectedError", ErrorCategory.NotSpecified, "a failure the module did not foresee (a bug: please report it)");

        // Webhooks
        public static readonly ErrorKind WebhookHeadersMissing = new ErrorKind("SeedreamWebhookHeadersMissing", ErrorCategory.InvalidArgument, "`-Headers` null");
        public static readonly ErrorKind WebhookHeadersInvalid = new ErrorKind("SeedreamWebhookHeadersInvalid", ErrorCategory.InvalidArgument, "`-Headers` not a dictionary, header collection or object");
        public static readonly ErrorKind WebhookBodyMissing = new ErrorKind("SeedreamWebhookBodyMissing", ErrorCategory.InvalidArgument, "`-Body` null");
        public static readonly ErrorKind WebhookBodyNotRaw = new ErrorKind("SeedreamWebhookBodyNotRaw", ErrorCategory.InvalidArgument, "`-Body` parsed JSON or another type instead of the raw string or bytes");
        public static readonly ErrorKind WebhookBodyUnreadable = new ErrorKind("SeedreamWebhookBodyUnreadable", ErrorCategory.ReadError, "the body stream cannot be read");
        public static readonly ErrorKind WebhookJwksUrlInvalid = new ErrorKind("SeedreamWebhookJwksUrlInvalid", ErrorCategory.InvalidArgument, "`-JwksUrl` not absolute http(s)");
        public static readonly ErrorKind WebhookJwksUrlInsecure = new ErrorKind("SeedreamWebhookJwksUrlInsecure", ErrorCategory.SecurityError, "`-JwksUrl` plain http to a non-loopback host");
        public static readonly ErrorKind WebhookToleranceInvalid = new ErrorKind("SeedreamWebhookToleranceInvalid", ErrorCategory.InvalidArgument, "`-ToleranceSec` outside 0–86400");
        public static readonly ErrorKind WebhookRejected = new ErrorKind("SeedreamWebhookRejected", ErrorCategory.SecurityError, "`Receive-SeedreamWebhook`: not authentic (BadSignature, MissingHeader, MalformedSignature, MalformedTimestamp; the message names the Reason, the target is the verdict)");
        public static readonly ErrorKind WebhookStale = new ErrorKind("SeedreamWebhookStale", ErrorCategory.SecurityError, "`Receive-SeedreamWebhook`: timestamp outside `-ToleranceSec` (StaleTimestamp: a replay or a wrong clock)");
        public static readonly ErrorKind WebhookJwksUnavailable = new ErrorKind("SeedreamWebhookJwksUnavailable", ErrorCategory.ResourceUnavailable, "`Receive-SeedreamWebhook`: fal's keys could not be fetched or list no ED25519 key, so nothing was verified (answer 5xx and fal retries)");
        public static readonly ErrorKind WebhookPayloadInvalid = new ErrorKind("SeedreamWebhookPayloadInvalid", ErrorCategory.InvalidData, "`Receive-SeedreamWebhook`: a genuine delivery without a readable result (`payload_error`, not JSON, unknown status); fetch it with `Receive-SeedreamJob`");

        // Uploads (Send-SeedreamFile) and paths
        public static readonly ErrorKind FileNotFound = new ErrorKind("SeedreamFileNotFound", ErrorCategory.ObjectNotFound, "`Send-SeedreamFile`: no such file");
        public static readonly ErrorKind FileIsDirectory = new ErrorKind("SeedreamFileIsDirectory", ErrorCategory.InvalidArgument, "`Send-SeedreamFile`: a directory");
        public static readonly ErrorKind FileEmpty = new ErrorKind("SeedreamFileEmpty", ErrorCategory.InvalidData, "`Send-SeedreamFile`: a 0-byte file");
        public static readonly ErrorKind FileUnreadable = new ErrorKind("SeedreamFileUnreadable", ErrorCategory.ReadError, "`Send-SeedreamFile`: the file cannot be read");
        public static readonly ErrorKind PathNotFileSystem = new ErrorKind("SeedreamPathNotFileSystem", ErrorCategory.InvalidArgument, "a path on another provider");
        public static readonly ErrorKind PathInvalid = new ErrorKind("SeedreamPathInvalid", ErrorCategory.InvalidArgument, "a malformed path");
        public static readonly ErrorKind ExpiresInInvalid = new ErrorKind("SeedreamExpiresInInvalid", ErrorCategory.InvalidArgument, "`-ExpiresIn` not a preset or seconds");
        public static readonly ErrorKind ContentTypeInvalid = new ErrorKind("SeedreamContentTypeInvalid", ErrorCategory.InvalidArgument, "malformed `-ContentType`");

        // Saving images
        public static readonly ErrorKind SaveInputInvalid = new ErrorKind("SeedreamSaveInputInvalid", ErrorCategory.InvalidArgument, "nothing saveable piped in");
        public static readonly ErrorKind NameTemplateInvalid = new ErrorKind("SeedreamNameTemplateInvalid", ErrorCategory.InvalidArgument, "unknown placeholder in `-NameTemplate`");
        public static readonly ErrorKind NameTemplateWithoutOutFolder = new ErrorKind("SeedreamNameTemplateWithoutOutFolder", ErrorCategory.InvalidArgument, "`-NameTemplate` on `Invoke-SeedreamEdit`/`New-SeedreamImage` without `-OutFolder` (nothing would be saved; refused before anything is sent)");
        public static readonly ErrorKind DestinationNotFolder = new ErrorKind("SeedreamDestinationNotFolder", ErrorCategory.InvalidArgument, "`-Destination` is a file");
        public static readonly ErrorKind PathIsDirectory = new ErrorKind("SeedreamPathIsDirectory", ErrorCategory.InvalidArgument, "`-Path` is a folder");
        public static readonly ErrorKind PathTakesOneImage = new ErrorKind("SeedreamPathTakesOneImage", ErrorCategory.InvalidArgument, "`-Path` given for more than one image");
        public static readonly ErrorKind FileExists = new ErrorKind("SeedreamFileExists", ErrorCategory.ResourceExists, "the target file exists and `-Force` was not given");
        public static readonly ErrorKind UnsafePath = new ErrorKind("SeedreamUnsafePath", ErrorCategory.SecurityError, "a name that would leave the destination folder");
        public static readonly ErrorKind DownloadTooLarge = new ErrorKind("SeedreamDownloadTooLarge", ErrorCategory.LimitsExceeded, "a download larger than `-MaximumSizeMB` (nothing is left on disk)");
        public static readonly ErrorKind DownloadSizeMismatch = new ErrorKind("SeedreamDownloadSizeMismatch", ErrorCategory.InvalidData, "a download whose size differs from what the server announced (nothing is left on disk)");
        public static readonly ErrorKind DownloadIncomplete = new ErrorKind("SeedreamDownloadIncomplete", ErrorCategory.ReadError, "a download cut short (nothing is left on disk)");
        public static readonly ErrorKind DownloadFailed = new ErrorKind("SeedreamDownloadFailed", ErrorCategory.ProtocolError, "a download that failed; the category is the cause's (connection, permission, not found, protocol)", categoryFollowsCause: true);
        public static readonly ErrorKind FileWriteFailed = new ErrorKind("SeedreamFileWriteFailed", ErrorCategory.WriteError, "the image could not be written");
        public static readonly ErrorKind DestinationUnwritable = new ErrorKind("SeedreamDestinationUnwritable", ErrorCategory.WriteError, "the destination folder cannot be created or written");

        // Journals
        public static readonly ErrorKind JournalInUse = new ErrorKind("SeedreamJournalInUse", ErrorCategory.ResourceBusy, "another command (or process) is using the `-Journal` file (terminating; nothing is sent)");
        public static readonly ErrorKind JournalDamaged = new ErrorKind("SeedreamJournalDamaged", ErrorCategory.InvalidData, "a malformed journal line other than a cut-off last one (terminating; the file is left as it is)");
        public static readonly ErrorKind JournalInvalid = new ErrorKind("SeedreamJournalInvalid", ErrorCategory.InvalidData, "the file is not a Seedream journal, or a newer format version (terminating; left as it is)");
        public static readonly ErrorKind JournalNotFound = new ErrorKind("SeedreamJournalNotFound", ErrorCategory.ObjectNotFound, "`Get-SeedreamJournal` on a missing file");
        public static readonly ErrorKind JournalUnwritable = new ErrorKind("SeedreamJournalUnwritable", ErrorCategory.WriteError, "a journal that cannot be written");
        public static readonly ErrorKind JournalUnreadable = new ErrorKind("SeedreamJournalUnreadable", ErrorCategory.ReadError, "a journal that cannot be read");

        private static readonly Lazy<IReadOnlyList<ErrorKind>> AllKinds = new Lazy<IReadOnlyList<ErrorKind>>(() =>
            typeof(Errors).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(ErrorKind))
                .Select(f => (ErrorKind)f.GetValue(null)!)
                .ToArray());

        /// <summary>Every kind, in declaration order (the README's order).</summary>
        public static IReadOnlyList<ErrorKind> All => AllKinds.Value;

        /// <summary>The README's error table, one row per kind (a test keeps the README equal to it).</summary>
        public static string MarkdownTable()
        {
            var lines = new List<string> { "| ErrorId | Category | When |", "| --- | --- | --- |" };
            foreach (var kind in All)
                lines.Add($"| `{kind.Id}` | {(kind.CategoryFollowsCause ? "by cause (usually " + kind.Category + ")" : kind.Category.ToString())} | {kind.Meaning} |");
            return string.Join("\n", lines) + "\n";
        }

        /// <summary>
        /// The kind for a Core code (EditProblem.Code, an image URL check, JournalException.Code):
        /// "PromptEmpty" is SeedreamPromptEmpty. An unknown code is a bug, reported as such.
        /// </summary>
        public static ErrorKind ForCode(string code)
        {
            var id = "Seedream" + code;
            foreach (var kind in All)
                if (string.Equals(kind.Id, id, StringComparison.Ordinal)) return kind;
            throw new InvalidOperationException($"No ErrorId in the catalog for the code '{code}'.");
        }
    }
}
