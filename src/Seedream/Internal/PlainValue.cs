namespace Seedream.Commands.Internal
{
    /// <summary>Turns PowerShell values (PSObject wrappers, hashtables, custom objects) into plain CLR values for JSON.</summary>
    internal static class PlainValue
    {
        public static object? From(object? value, int depth = 0)
        {
            if (depth > Protocol.PlainJson.MaxDepth) throw new ArgumentException($"the value is nested more than {Protocol.PlainJson.MaxDepth} levels deep (a value that contains itself?).");
            if (value == null) return null;
            if (value is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var p in pso.Properties) d[p.Name] = From(p.Value, depth + 1);
                    return d;
                }
                value = pso.BaseObject;
            }
            switch (value)
            {
                case string _:
                case bool _:
                case char _:
                case Uri _:
                    return value;
                case IDictionary dict:
                    var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (DictionaryEntry e in dict) result[Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = From(e.Value, depth + 1);
                    return result;
                case IEnumerable seq:
                    var list = new List<object?>();
                    foreach (var item in seq) list.Add(From(item, depth + 1));
                    return list;
                default:
                    return value;
            }
        }

        public static IDictionary<string, object?>? Dictionary(Hashtable? table) =>
            table == null ? null : (IDictionary<string, object?>?)From(table);
    }
}
