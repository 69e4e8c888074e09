using System.Collections;
using System.Text.Json;

namespace Seedream.Core.Tests.Units;

public class PlainJsonTests
{
    [Fact]
    public void Big_seed_survives_a_round_trip_exactly()
    {
        const long seed = 196619188014358660;
        var parsed = (IDictionary<string, object?>)PlainJson.Parse("{\"seed\":196619188014358660}")!;
        Assert.IsType<long>(parsed["seed"]);
        Assert.Equal(seed, (long)parsed["seed"]!);
        Assert.Equal("{\"seed\":196619188014358660}", PlainJson.Serialize(parsed));
        Assert.Equal("[9223372036854775807,-9223372036854775808]", PlainJson.Serialize(new[] { long.MaxValue, long.MinValue }));
    }

    [Fact]
    public void Numbers_keep_their_kind()
    {
        var list = (object?[])PlainJson.Parse("[1, -2, 1.5, 1e3, 18446744073709551615, 1234567890123456789012345678, 123456789012345678901234567890]")!;
        Assert.Equal(1L, list[0]);
        Assert.Equal(-2L, list[1]);
        Assert.Equal(1.5, list[2]);
        Assert.Equal(1000.0, list[3]);              // exponent notation is a double, not an integer
        Assert.Equal(18446744073709551615m, list[4]); // beyond long: exact decimal, not a rounded double
        Assert.Equal(1234567890123456789012345678m, list[5]);
        Assert.Equal(1.2345678901234568E+29, list[6]);  // beyond decimal too: the nearest double
        Assert.Equal("[18446744073709551615]", PlainJson.Serialize(new object[] { ulong.MaxValue }));
        Assert.Equal("[4294967295]", PlainJson.Serialize(new object[] { uint.MaxValue }));
    }

    [Fact]
    public void Nested_structures_round_trip()
    {
        const string json = "{\"a\":{\"b\":[1,\"two\",true,false,null,{\"c\":[]}]},\"d\":{},\"e\":\"\\u00fc\\\"q\"}";
        var value = PlainJson.Parse(json);
        var root = Assert.IsAssignableFrom<IDictionary<string, object?>>(value);
        var a = Assert.IsAssignableFrom<IDictionary<string, object?>>(root["a"]);
        var b = Assert.IsType<object?[]>(a["b"]);
        Assert.Equal(new object?[] { 1L, "two", true, false, null }, b.Take(5));
        Assert.Empty(Assert.IsType<object?[]>(((IDictionary<string, object?>)b[5]!)["c"]));
        Assert.Equal("ü\"q", root["e"]);
        // Serialising the plain graph gives JSON that parses to the same document.
        var again = PlainJson.Serialize(value);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json).RootElement, JsonDocument.Parse(again).RootElement), again);
    }

    [Fact]
    public void Writes_common_clr_values()
    {
        var h = new Hashtable { ["n"] = 3 };
        var value = new Dictionary<string, object?>
        {
            ["byte"] = (byte)7,
            ["short"] = (short)-3,
            ["int"] = 42,
            ["float"] = 0.5f,
            ["float11"] = 1.1f,
            ["decimal"] = 1.25m,
            ["char"] = 'x',
            ["uri"] = new Uri("https://example.com/a?b=1"),
            ["guid"] = Guid.Empty,
            ["enum"] = DayOfWeek.Friday,
            ["date"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            ["list"] = new List<int> { 1, 2 },
            ["hashtable"] = h,
            ["null"] = null,
        };
        var doc = JsonDocument.Parse(PlainJson.Serialize(value)).RootElement;
        Assert.Equal(7, doc.GetProperty("byte").GetInt32());
        Assert.Equal(-3, doc.GetProperty("short").GetInt32());
        Assert.Equal(42, doc.GetProperty("int").GetInt32());
        Assert.Equal(0.5, doc.GetProperty("float").GetDouble());
        // A [float] goes out as the number it shows (1.1), not as its binary expansion 1.100000023841858.
        Assert.Equal("1.1", doc.GetProperty("float11").GetRawText());
        Assert.Equal(1.25m, doc.GetProperty("decimal").GetDecimal());
        Assert.Equal("x", doc.GetProperty("char").GetString());
        Assert.Equal("https://example.com/a?b=1", doc.GetProperty("uri").GetString());
        Assert.Equal(Guid.Empty.ToString(), doc.GetProperty("guid").GetString());
        Assert.Equal("Friday", doc.GetProperty("enum").GetString());
        Assert.Equal("2026-01-02T03:04:05.0000000+00:00", doc.GetProperty("date").GetString());
        Assert.Equal(2, doc.GetProperty("list").GetArrayLength());
        Assert.Equal(3, doc.GetProperty("hashtable").GetProperty("n").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("null").ValueKind);
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Unsupported_values_are_rejected(object value)
    {
        var ex = Assert.Throws<ArgumentException>(() => PlainJson.Serialize(new Dictionary<string, object?> { ["x"] = value }));
        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    public static IEnumerable<object[]> Unsupported() => new[]
    {
        new object[] { new object() },
        new object[] { TimeSpan.FromSeconds(1) },
        new object[] { new Version(1, 2) },
        new object[] { double.NaN },
        new object[] { double.PositiveInfinity },
        new object[] { float.NegativeInfinity },
        new object[] { new List<object> { new object() } },
    };

    private static object Nest(int levels)
    {
        object v = 1;
        for (var i = 0; i < levels; i++) v = new object[] { v };
        return v;
    }

    [Fact]
    public void Writing_is_depth_limited_and_catches_cycles()
    {
        // Exactly MaxDepth nested arrays is the deepest JSON the parser accepts back.
        var ok = PlainJson.Serialize(Nest(PlainJson.MaxDepth));
        Assert.NotNull(PlainJson.Parse(ok));
        Assert.Throws<ArgumentException>(() => PlainJson.Serialize(Nest(PlainJson.MaxDepth + 1)));

        var cyclic = new Dictionary<string, object?>();
        cyclic["self"] = cyclic;
        Assert.Throws<ArgumentException>(() => PlainJson.Serialize(cyclic));
    }

    [Fact]
    public void Parsing_is_depth_limited()
    {
        var deep = new string('[', PlainJson.MaxDepth + 1) + new string(']', PlainJson.MaxDepth + 1);
        Assert.ThrowsAny<JsonException>(() => PlainJson.Parse(deep));
        var fine = new string('[', PlainJson.MaxDepth) + new string(']', PlainJson.MaxDepth);
        Assert.NotNull(PlainJson.Parse(fine));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{'a':1}")]
    [InlineData("[1,]")]
    public void Bad_json_is_a_json_exception(string text)
    {
        Assert.ThrowsAny<JsonException>(() => PlainJson.Parse(text));
    }
}
