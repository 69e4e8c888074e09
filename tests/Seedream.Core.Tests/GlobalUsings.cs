// The namespaces nearly every test here uses, once for the project.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using System.Threading.Tasks;
global using Seedream.Protocol;
global using Seedream.TestSupport;
global using Xunit;
