namespace Seedream
{
    /// <summary>Reads a Seedream output body into an <see cref="EditResult"/>, tolerating unknown fields.</summary>
    public static class EditResultParser
    {
        public static EditResult Parse(string json, string requestId, string endpoint, string? prompt)
        {
            JsonDocument doc;
            try { doc = PlainJson.ParseDocument(json); }
            catch (JsonException ex)
            {
                throw new FalApiException(FalErrorKind.Protocol, $"The result of request {requestId} is not valid JSON: {ex.Message}") { RequestId = requestId, ResponseBody = FalClient.Truncate(json, 4096) };
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new FalApiException(FalErrorKind.Protocol, $"The result of request {requestId} is not a JSON object.") { RequestId = requestId, ResponseBody = FalClient.Truncate(json, 4096) };
                var result = new EditResult { RequestId = requestId, Endpoint = endpoint, Prompt = prompt, RawJson = json };
                var extra = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in root.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "images":
                            if (p.Value.ValueKind != JsonValueKind.Array)
                                throw new FalApiException(FalErrorKind.Protocol, $"The result of request {requestId} has 'images' that is not a list.") { RequestId = requestId };
                            var images = new List<Image>();
                            foreach (var item in p.Value.EnumerateArray())
                            {
                                var url = PlainJson.GetString(item, "url");
                                if (string.IsNullOrEmpty(url)) continue;
                                images.Add(new Image
                                {
                                    Url = url!,
                                    ContentType = PlainJson.GetString(item, "content_type"),
                                    FileName = PlainJson.GetString(item, "file_name"),
                                    FileSize = PlainJson.GetInt64(item, "file_size"),
                                    Width = ToInt(PlainJson.GetInt64(item, "width")),
                                    Height = ToInt(PlainJson.GetInt64(item, "height")),
                                    RequestId = requestId,
                                    Index = images.Count,
                                });
                            }
                            result.Images = images.ToArray();
                            break;
                        case "seed":
                            result.Seed = PlainJson.GetInt64(root, "seed");
                            break;
                        default:
                            extra[p.Name] = PlainJson.ToPlain(p.Value);
                            break;
                    }
                }
                result.AdditionalProperties = extra;
                foreach (var image in result.Images) image.Seed = result.Seed;
                return result;
            }
        }

        private static int? ToInt(long? v) => v.HasValue && v.Value >= 0 && v.Value <= int.MaxValue ? (int)v.Value : (int?)null;
    }
}
