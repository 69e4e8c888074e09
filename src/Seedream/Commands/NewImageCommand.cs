namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Makes images from a prompt with Seedream text-to-image: submits, waits and returns the result in one call.</para>
    /// </summary>
    /// <remarks>
    /// Everything but the input images is Invoke-SeedreamEdit's (<see cref="InvokeCmdletBase"/>): the
    /// pipeline, -ThrottleLimit, -OutFolder, -NameTemplate, -Journal, -WhatIf with cost. It emits
    /// Seedream.EditResult, the type every Seedream result has (images and seed), so
    /// Save-SeedreamImage, Receive-SeedreamJob and Invoke-SeedreamEdit -Image take it as they take an edit's.
    /// </remarks>
    [Cmdlet(VerbsCommon.New, "SeedreamImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(EditResult))]
    public sealed class NewSeedreamImageCommand : InvokeCmdletBase
    {
        /// <summary>What to make. Plain text piped in is one request's prompt.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [PromptTextTransformation]
        public override string Prompt { get; set; } = string.Empty;

        /// <summary>
        /// Not for use: text-to-image takes no input image. It exists so that -Image, or an Image
        /// column of a piped row, is refused (SeedreamFieldNotSupported) rather than silently dropped
        /// from a paid request or taken for -ImageSize by prefix matching.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [Alias("ImageUrls", "ImageUrl", "image_urls")]
        [ImageInputTransformation]
        public override ImageInput[] Image { get; set; } = System.Array.Empty<ImageInput>();

        private protected override EndpointKind CommandKind => EndpointKind.TextToImage;
        private protected override string DefaultEndpoint => EndpointId.SeedreamV5LiteTextToImage;
    }
}
