using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    public class InvokeEditTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public InvokeEditTests(EmulatorFixture fx) => _fx = fx;

        [Fact]
        public void Invoke_returns_typed_result_with_images_of_the_requested_size()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'make it blue' -Image $img -ImageSize 2560x1440 -Seed 42", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var result = r.Single("Seedream.EditResult");
            Assert.Equal("make it blue", result.P("Prompt"));
            Assert.Equal(42L, result.P("Seed"));
            var image = Assert.Single(result.Items("Images"))!;
            Assert.Equal(2560, image.P("Width"));
            Assert.Equal(1440, image.P("Height"));
            Assert.Equal("image/png", image.P("ContentType"));
            Assert.Equal(result.P("RequestId"), image.P("RequestId"));
        }
    }
}
