global using System.Collections;
global using System.Management.Automation;
global using System.Management.Automation.Runspaces;
global using Seedream.Commands.Internal;
global using Seedream.Commands.Session;
global using Seedream.Protocol;
global using Seedream.Storage;
global using Seedream.Workflow;
