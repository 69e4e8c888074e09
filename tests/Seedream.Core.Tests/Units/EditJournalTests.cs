using System.IO;
using System.Text;

namespace Seedream.Core.Tests.Units;

public class EditJournalTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sdj-" + Guid.NewGuid().ToString("N"));
    public EditJournalTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string NewPath() => Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".jsonl");

    private static Job JobNamed(string id) => new() { RequestId = id, Endpoint = "fal-ai/bytedance/seedream/v5/lite/edit" };

    private static async Task Complete(EditJournal j, string fp, int n, string id)
    {
        await j.RecordSubmittingAsync(fp, n, "fal-ai/x/y", "p", new[] { "a.png" });
        await j.RecordSubmittedAsync(fp, n, JobNamed(id));
        await j.RecordCompletedAsync(fp, n, id, "{\"images\":[]}", 0.2, 0.3, new string?[] { "/tmp/x.png" });
    }

    [Fact]
    public async Task States_survive_a_reopen_and_identical_edits_get_their_own_entries()
    {
        var path = NewPath();
        using (var j = EditJournal.Open(path))
        {
            Assert.Equal((0, (JournalEntry?)null), j.Claim("aa"));
            await Complete(j, "aa", 0, "r0");
            await j.RecordSubmittingAsync("aa", 1, "fal-ai/x/y", "p", Array.Empty<string>());
            await j.RecordSubmittedAsync("aa", 1, JobNamed("r1"));
            await j.RecordSubmittingAsync("bb", 0, "fal-ai/x/y", "q", Array.Empty<string>());
            await j.RecordSubmittingAsync("cc", 0, "fal-ai/x/y", "q", Array.Empty<string>());
            await j.RecordFailedAsync("cc", 0, "r3", "boom");
        }
        using (var j = EditJournal.Open(path))
        {
            var first = j.Claim("aa");
            Assert.Equal(JournalState.Completed, first.Entry!.State);
            Assert.Equal("r0", first.Entry.RequestId);
            Assert.Equal("/tmp/x.png", first.Entry.SavedPaths.Single());
            var second = j.Claim("aa");
            Assert.Equal(1, second.Occurrence);
            Assert.Equal(JournalState.Submitted, second.Entry!.State);
            Assert.Equal("r1", second.Entry.RequestId);
            Assert.Null(j.Claim("aa").Entry);
            Assert.Equal(JournalState.Submitting, j.Claim("bb").Entry!.State);
            Assert.Equal(JournalState.Failed, j.Claim("cc").Entry!.State);
        }
        var info = EditJournal.Read(path);
        Assert.Equal(1, info.Version);
        Assert.Equal((4, 1, 1, 1, 1), (info.Total, info.Completed, info.Submitted, info.Submitting, info.Failed));
    }

    [Fact]
    public async Task A_cut_off_last_line_is_dropped_and_the_journal_stays_usable()
    {
        var path = NewPath();
        using (var j = EditJournal.Open(path)) await Complete(j, "aa", 0, "r0");
        // What a kill in the middle of a write leaves: a record without its end.
        System.IO.File.AppendAllText(path, "{\"op\":\"submitted\",\"fp\":\"bb\",\"n\":0,\"requ");
        Assert.True(EditJournal.Read(path).TornTail);
        using (var j = EditJournal.Open(path))
        {
            Assert.Equal(JournalState.Completed, j.Claim("aa").Entry!.State);
            Assert.Null(j.Claim("bb").Entry);
            await j.RecordSubmittingAsync("bb", 0, "fal-ai/x/y", "p", Array.Empty<string>());
        }
        var info = EditJournal.Read(path);
        Assert.False(info.TornTail);
        Assert.Equal(2, info.Total);
        Assert.All(System.IO.File.ReadAllLines(path), l => Assert.StartsWith("{", l));
    }

    [Fact]
    public async Task A_bad_line_before_the_end_is_damage_and_the_file_is_not_touched()
    {
        var path = NewPath();
        using (var j = EditJournal.Open(path))
        {
            await Complete(j, "aa", 0, "r0");
            await Complete(j, "bb", 0, "r1");
        }
        var lines = System.IO.File.ReadAllLines(path);
        lines[2] = lines[2].Substring(0, 10);
        System.IO.File.WriteAllText(path, string.Join("\n", lines) + "\n");
        var before = System.IO.File.ReadAllBytes(path);
        var ex = Assert.Throws<JournalException>(() => EditJournal.Open(path));
        Assert.Equal("JournalDamaged", ex.Code);
        Assert.Contains("line 3", ex.Message);
        Assert.Equal("JournalDamaged", Assert.Throws<JournalException>(() => EditJournal.Read(path)).Code);
        Assert.Equal(before, System.IO.File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("name,prompt\nx,y\n")]
    [InlineData("{\"format\":\"something-else\",\"version\":1}\n")]
    [InlineData("{\"format\":\"seedream-journal\",\"version\":9}\n")]
    [InlineData("not json at all")]
    public void A_foreign_file_is_refused_and_left_alone(string content)
    {
        var path = NewPath();
        System.IO.File.WriteAllText(path, content);
        Assert.Equal("JournalInvalid", Assert.Throws<JournalException>(() => EditJournal.Open(path)).Code);
        Assert.Equal(content, System.IO.File.ReadAllText(path));
    }

    [Fact]
    public void An_empty_file_or_a_cut_off_header_starts_a_new_journal()
    {
        var empty = NewPath();
        System.IO.File.WriteAllText(empty, "");
        using (EditJournal.Open(empty)) { }
        Assert.StartsWith("{\"format\":\"seedream-journal\",\"version\":1", System.IO.File.ReadAllText(empty));
        var torn = NewPath();
        System.IO.File.WriteAllText(torn, "{\"format\":\"seedr");
        using (EditJournal.Open(torn)) { }
        Assert.Equal(0, EditJournal.Read(torn).Total);
    }

    [Fact]
    public void A_second_writer_is_refused_while_the_first_holds_the_journal()
    {
        var path = NewPath();
        using (EditJournal.Open(path))
        {
            Assert.Equal("JournalInUse", Assert.Throws<JournalException>(() => EditJournal.Open(path)).Code);
            Assert.Equal("JournalInUse", Assert.Throws<JournalException>(() => EditJournal.Read(path)).Code);
        }
        using (EditJournal.Open(path)) { }
    }

    [Fact]
    public async Task Concurrent_records_are_all_written_whole()
    {
        var path = NewPath();
        using (var j = EditJournal.Open(path))
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => Complete(j, "f" + i, 0, "r" + i))));
        var info = EditJournal.Read(path);
        Assert.Equal(200, info.Completed);
        Assert.Equal(601, System.IO.File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Fingerprints_follow_content_not_paths_or_upload_urls()
    {
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==");
        var a = Path.Combine(_dir, "a.png");
        var b = Path.Combine(_dir, "b.png");
        System.IO.File.WriteAllBytes(a, png);
        System.IO.File.WriteAllBytes(b, png);
        var fromFile = EditFingerprint.ForFile(a);
        Assert.Equal(fromFile, EditFingerprint.ForFile(b));
        Assert.Equal(fromFile, EditFingerprint.ForUrl("data:image/png;base64," + Convert.ToBase64String(png)));
        Assert.Equal("url:https://x/y.png", EditFingerprint.ForUrl("https://x/y.png"));

        var r1 = new EditRequest { Prompt = "p", Seed = 1, AdditionalInput = new System.Collections.Generic.Dictionary<string, object?> { ["z"] = 1, ["a"] = "x" } };
        var r2 = new EditRequest { Prompt = "p", Seed = 1, AdditionalInput = new System.Collections.Generic.Dictionary<string, object?> { ["a"] = "x", ["z"] = 1 } };
        var ids = new[] { fromFile };
        Assert.Equal(EditFingerprint.Compute("fal-ai/e/p", r1, ids), EditFingerprint.Compute("fal-ai/e/p", r2, ids));
        Assert.NotEqual(EditFingerprint.Compute("fal-ai/e/p", r1, ids), EditFingerprint.Compute("fal-ai/e/q", r1, ids));
        r2.Seed = 2;
        Assert.NotEqual(EditFingerprint.Compute("fal-ai/e/p", r1, ids), EditFingerprint.Compute("fal-ai/e/p", r2, ids));
        Assert.NotEqual(EditFingerprint.Compute("fal-ai/e/p", r1, ids), EditFingerprint.Compute("fal-ai/e/p", r1, new[] { "url:https://x/y.png" }));
    }

    [Fact]
    public void A_fingerprint_is_the_same_as_earlier_versions_computed_it()
    {
        // Journals outlive module versions: a rerun with a newer module must find the edits an
        // older one recorded. The value was computed by the module before the JSON writer was
        // shared (0ffe629) and checked against it after.
        var nested = new System.Collections.Hashtable { ["b"] = 2, ["a"] = new System.Collections.Hashtable { ["d"] = 1.25m, ["c"] = "y" } };
        var request = new EditRequest
        {
            Prompt = "make it \"blue\" \u00e9",
            NumImages = 2,
            Seed = 42,
            SyncMode = true,
            EnhancePromptMode = "fast",
            ImageSize = ImageSize.FromDimensions(2048, 1536),
            AdditionalInput = new System.Collections.Generic.Dictionary<string, object?> { ["zeta"] = 1.5, ["alpha"] = new object?[] { 3, "x", null, false }, ["mid"] = nested },
        };
        Assert.Equal("86c0ad818f40fcfdcba94c1e025de8602e08fe827586144bc6ae08f288eff33f",
            EditFingerprint.Compute("fal-ai/bytedance/seedream/v5/lite/edit", request, new[] { "sha256:00ff", "url:https://x/y.png" }));
    }
}
