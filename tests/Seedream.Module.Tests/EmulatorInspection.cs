using System;
using System.Net.Http;
using System.Text.Json;
using Seedream.Emulator;

namespace Seedream.Module.Tests
{
    /// <summary>Reads what reached the emulator (its /_emulator/jobs route), to prove what was sent.</summary>
    internal static class EmulatorInspection
    {
        private static readonly HttpClient Http = new HttpClient();

        public static JsonElement Job(FalEmulator emulator, string requestId)
        {
            var json = Http.GetStringAsync(new Uri(emulator.BaseUrl, "_emulator/jobs/" + requestId)).GetAwaiter().GetResult();
            return JsonDocument.Parse(json).RootElement.Clone();
        }

        public static JsonElement JobInput(FalEmulator emulator, string requestId)
        {
            var job = Job(emulator, requestId);
            var input = job.GetProperty("input");
            return input.ValueKind == JsonValueKind.String ? JsonDocument.Parse(input.GetString()!).RootElement.Clone() : input;
        }
    }
}
