using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Seedream.Commands.Internal;
using Seedream.Protocol;

namespace Seedream.Commands
{
    /// <summary>
    /// The edit parameters shared by Invoke-SeedreamEdit and Submit-SeedreamJob. Every input binds
    /// by property name too (with the API's snake_case names as aliases), so CSV rows and objects
    /// pipe straight in.
    /// </summary>
    public abstract class EditCmdletBase : ConcurrentCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string Prompt { get; set; } = string.Empty;

        /// <summary>Input images: URLs, data URIs, local paths, FileInfo, Seedream.Image or Seedream.File.</summary>
        [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("image_urls", "Images", "ImageUrl", "ImageUrls")]
        [AllowEmptyCollection]
        public ImageInput[] Image { get; set; } = Array.Empty<ImageInput>();

        /// <summary>A preset (auto_2K, landscape_16_9, ...), WIDTHxHEIGHT, or @{ width = ...; height = ... }.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("image_size")]
        [ArgumentCompleter(typeof(ImageSizeCompleter))]
        public object? ImageSize { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("num_images")]
        public int? NumImages { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("max_images")]
        public int? MaxImages { get; set; }

        /// <summary>64-bit seed for reproducible output.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public long? Seed { get; set; }

        /// <summary>Return images inline as data URIs (not kept in fal's request history).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("sync_mode")]
        [BooleanTextTransformation]
        public SwitchParameter SyncMode { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("enable_safety_checker")]
        [BooleanTextTransformation]
        public bool? EnableSafetyChecker { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("enhance_prompt_mode")]
        [ArgumentCompleter(typeof(EnhancePromptModeCompleter))]
        public string? EnhancePromptMode { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(EndpointCompleter))]
        public string Endpoint { get; set; } = EndpointId.SeedreamV5LiteEdit;

        /// <summary>Extra input fields merged into the request body (for fields this version does not know).</summary>
        [Parameter]
        [Alias("AdditionalBody")]
        public Hashtable? AdditionalInput { get; set; }

        /// <summary>Send local files inline as data URIs instead of uploading them to fal storage.</summary>
        [Parameter]
        public SwitchParameter InlineImages { get; set; }

        /// <summary>normal (default) or low: low-priority requests wait behind normal ones.</summary>
        [Parameter]
        [ValidateSet("normal", "low")]
        public string? Priority { get; set; }

        /// <summary>Server-side deadline for the request to start running (x-fal-request-timeout).</summary>
        [Parameter]
        public double? StartTimeoutSec { get; set; }

        /// <summary>Extra x-fal-* request headers passed through unchanged.</summary>
        [Parameter]
        public Hashtable? Header { get; set; }

        /// <summary>The validated request, the parsed endpoint and its submit options; null after writing errors.</summary>
        protected PreparedEdit? Prepare()
        {
            var target = (object)Prompt;
            if (!EndpointId.TryParse(Endpoint, out var endpoint, out var endpointError))
            {
                WriteError(ErrorFactory.Create("SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument, endpointError!, Endpoint));
                return null;
            }
            var request = new EditRequest
            {
                Prompt = Prompt,
                NumImages = NumImages,
                MaxImages = MaxImages,
                Seed = Seed,
                SyncMode = MyInvocation.BoundParameters.ContainsKey(nameof(SyncMode)) ? SyncMode.IsPresent : (bool?)null,
                EnableSafetyChecker = EnableSafetyChecker,
                EnhancePromptMode = EnhancePromptMode,
            };
            var ok = true;
            if (ImageSize != null)
            {
                try { request.ImageSize = ImageSizeReader.Read(ImageSize); }
                catch (FormatException ex)
                {
                    WriteError(ErrorFactory.Create("SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument, ex.Message, ImageSize));
                    ok = false;
                }
            }
            try { request.AdditionalInput = PlainValue.Dictionary(AdditionalInput); }
            catch (ArgumentException ex)
            {
                WriteError(ErrorFactory.Create("SeedreamAdditionalInputInvalid", ErrorCategory.InvalidArgument, ex.Message, AdditionalInput));
                ok = false;
            }

            Dictionary<string, string>? headers = null;
            if (Header != null)
            {
                headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in Header)
                {
                    var name = Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                    if (!name.StartsWith("x-fal-", StringComparison.OrdinalIgnoreCase) || name.Equals("x-fal-target-url", StringComparison.OrdinalIgnoreCase))
                    {
                        WriteError(ErrorFactory.Create("SeedreamHeaderInvalid", ErrorCategory.InvalidArgument, $"Only x-fal-* headers can be passed with -Header; '{name}' is not allowed.", name));
                        ok = false;
                        continue;
                    }
                    headers[name] = Convert.ToString(e.Value is PSObject p ? p.BaseObject : e.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }
            if (StartTimeoutSec.HasValue && !(StartTimeoutSec.Value > 1))
            {
                WriteError(ErrorFactory.Create("SeedreamStartTimeoutInvalid", ErrorCategory.InvalidArgument, $"StartTimeoutSec must be more than 1 second; {StartTimeoutSec.Value} is not.", StartTimeoutSec.Value));
                ok = false;
            }

            // Images: more than 10 keeps the last 10 (the API's own rule), before anything is uploaded.
            var images = (Image ?? Array.Empty<ImageInput>()).Where(i => i != null).ToList();
            if (images.Count > EditRequest.MaxInputImages)
            {
                WriteWarning($"{images.Count} images were given; the model uses at most {EditRequest.MaxInputImages}, so only the last {EditRequest.MaxInputImages} are sent (the first {images.Count - EditRequest.MaxInputImages} are ignored, and not uploaded).");
                images = images.Skip(images.Count - EditRequest.MaxInputImages).ToList();
            }
            var resolved = ImageResolver.Check(this, images, InlineImages.IsPresent, out var imageErrors);
            foreach (var e in imageErrors) WriteError(e);
            ok &= imageErrors.Count == 0;
            request.ImageUrls = resolved.Select(r => r.Url ?? r.Path!).ToList();
            // Image references were checked one by one above (local files included).
            var problems = request.Validate(checkImageUrls: false);
            foreach (var p in problems) WriteError(ErrorFactory.FromProblem(p, target));
            if (!ok || problems.Count > 0) return null;

            if (request.ImageSize?.ScaledToModelBounds() is (int w, int h) scaled && (scaled.Width != request.ImageSize.Width || scaled.Height != request.ImageSize.Height))
            {
                var requested = request.ImageSize.Width!.Value * (long)request.ImageSize.Height!.Value;
                WriteWarning(requested < Seedream.ImageSize.MinPixels
                    ? $"The custom size {request.ImageSize} has {requested:N0} pixels, fewer than the model's minimum of {Seedream.ImageSize.MinPixels:N0} (2560x1440): it will be scaled up, keeping the aspect ratio, to about {w}x{h}."
                    : $"The custom size {request.ImageSize} has {requested:N0} pixels, more than the model's maximum of {Seedream.ImageSize.MaxPixels:N0} (3072x3072): it will be scaled down, keeping the aspect ratio, to about {w}x{h}.");
            }

            return new PreparedEdit(endpoint!, request, resolved, new SubmitOptions
            {
                Priority = Priority,
                StartTimeout = StartTimeoutSec.HasValue ? TimeSpan.FromSeconds(StartTimeoutSec.Value) : (TimeSpan?)null,
                Headers = headers,
            });
        }

        /// <summary>The ShouldProcess target and action for an edit, with its estimated cost.</summary>
        protected (string Target, string Action) Describe(PreparedEdit edit, string verb)
        {
            var prompt = edit.Request.Prompt ?? string.Empty;
            if (prompt.Length > 60) prompt = prompt.Substring(0, 57) + "...";
            var target = $"{edit.Endpoint.Full}: '{prompt}' with {edit.Images.Count} input image(s)";
            var action = $"{verb} ({Pricing.Describe(edit.Endpoint.Full, edit.Request.MaxImageCount)})";
            return (target, action);
        }
    }

    /// <summary>A request ready to send, with the images still to resolve.</summary>
    public sealed class PreparedEdit
    {
        public PreparedEdit(EndpointId endpoint, EditRequest request, IReadOnlyList<ResolvedImage> images, SubmitOptions submitOptions)
        {
            Endpoint = endpoint;
            Request = request;
            Images = images;
            SubmitOptions = submitOptions;
        }

        public EndpointId Endpoint { get; }
        public EditRequest Request { get; }
        public IReadOnlyList<ResolvedImage> Images { get; }
        public SubmitOptions SubmitOptions { get; }
    }
}
