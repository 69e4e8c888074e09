global using System.Management.Automation;
global using Seedream.Commands.Internal;
global using Seedream.Protocol;
global using Seedream.Workflow;
