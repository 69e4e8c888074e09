
namespace Seedream.Core.Tests.Units;

public class FalCredentialsTests
{
    // Never the real environment: a dictionary stands in for it.
    private static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (n, v) in vars) d[n] = v;
        return name => d.TryGetValue(name, out var v) ? v : null;
    }

    [Fact]
    public void Explicit_key_wins_over_the_environment()
    {
        var c = FalCredentials.Resolve("explicit-key", Env(("FAL_KEY", "env-key"), ("FAL_KEY_ID", "id"), ("FAL_KEY_SECRET", "s")))!;
        Assert.Equal("parameter", c.Source);
        Assert.Equal("Key explicit-key", c.AuthorizationValue);
    }

    [Fact]
    public void FAL_KEY_wins_over_id_and_secret()
    {
        var c = FalCredentials.Resolve(null, Env(("FAL_KEY", "env-key"), ("FAL_KEY_ID", "id"), ("FAL_KEY_SECRET", "s")))!;
        Assert.Equal("FAL_KEY", c.Source);
        Assert.Equal("Key env-key", c.AuthorizationValue);
    }

    [Fact]
    public void Blank_explicit_key_falls_through_to_the_environment()
    {
        var c = FalCredentials.Resolve("   ", Env(("FAL_KEY", " env-key ")))!;
        Assert.Equal("FAL_KEY", c.Source);
        Assert.Equal("Key env-key", c.AuthorizationValue); // trimmed
    }

    [Fact]
    public void Id_and_secret_are_joined_with_a_colon()
    {
        var c = FalCredentials.Resolve(null, Env(("FAL_KEY", "  "), ("FAL_KEY_ID", " id1 "), ("FAL_KEY_SECRET", "sec2")))!;
        Assert.Equal("FAL_KEY_ID/FAL_KEY_SECRET", c.Source);
        Assert.Equal("Key id1:sec2", c.AuthorizationValue);
    }

    [Theory]
    [InlineData("FAL_KEY_ID")]
    [InlineData("FAL_KEY_SECRET")]
    public void Half_of_an_id_secret_pair_is_no_key(string onlyVar)
    {
        Assert.Null(FalCredentials.Resolve(null, Env((onlyVar, "value"))));
    }

    [Fact]
    public void Nothing_set_is_null()
    {
        Assert.Null(FalCredentials.Resolve(null, Env()));
        Assert.Null(FalCredentials.Resolve("", Env()));
    }

    [Fact]
    public void Empty_key_cannot_be_constructed()
    {
        Assert.Throws<ArgumentException>(() => new FalCredentials(" ", "test"));
    }

    [Fact]
    public void ToString_and_Redact_never_show_the_key()
    {
        const string key = "0f3c2a9e-1111-2222-3333-444455556666:abcdefsecretvalue";
        var c = new FalCredentials(key, "test");
        Assert.DoesNotContain(key, c.ToString());
        Assert.DoesNotContain("abcdefsecret", c.ToString());
        Assert.Contains("test", c.ToString());

        var redacted = c.Redact($"GET failed with Authorization: Key {key} (again: {key})");
        Assert.DoesNotContain(key, redacted);
        Assert.Equal("GET failed with Authorization: Key *** (again: ***)", redacted);
        Assert.Equal(string.Empty, c.Redact(null));
        Assert.Equal("no key here", c.Redact("no key here"));
    }

    [Fact]
    public void Fingerprint_identifies_the_key_without_containing_it()
    {
        var a = new FalCredentials("key-a", "x");
        var a2 = new FalCredentials(" key-a ", "y");
        var b = new FalCredentials("key-b", "x");
        Assert.Equal(a.Fingerprint, a2.Fingerprint);
        Assert.NotEqual(a.Fingerprint, b.Fingerprint);
        Assert.DoesNotContain("key-a", a.Fingerprint);
    }
}
