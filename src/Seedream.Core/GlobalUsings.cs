global using System.Globalization;
global using System.Net.Http;
global using System.Text;
global using System.Text.Json;
global using Seedream.Protocol;
