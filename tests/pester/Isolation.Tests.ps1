#Requires -Version 7.2
# Pester 5. On PowerShell 7 the module loads Seedream.Core and BouncyCastle.Cryptography into its own
# AssemblyLoadContext, so another module's copy of BouncyCastle, loaded first, cannot break webhook
# verification. Each case runs in a fresh pwsh: what is loaded into a process cannot be unloaded.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:receiver = Start-WebhookReceiver
    $image = (New-TestImage -Path (Join-Path $TestDrive 'iso.png')).FullName
    $null = Submit-SeedreamJob -Prompt 'isolation test' -Image $image -WebhookUrl $receiver.Url -WarningAction SilentlyContinue
    $delivery = Receive-WebhookDelivery $receiver
    $script:deliveryFile = Join-Path $TestDrive 'delivery.json'
    @{ Headers = $delivery.Headers; Body = [Convert]::ToBase64String($delivery.Body); Jwks = "$($emulator.Url)/.well-known/jwks.json" } |
        ConvertTo-Json | Set-Content -LiteralPath $deliveryFile

    # A stand-in for "another module's older BouncyCastle": an assembly with the same simple name, a
    # lower version and none of the real types, compiled with the Roslyn that pwsh carries.
    function New-FakeBouncyCastle([string] $Path, [string] $Version) {
        $source = "[assembly: System.Reflection.AssemblyVersion(`"$Version`")] namespace Org.BouncyCastle.Stand { public static class In { public static int Value => 1; } }"
        $tree = [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree]::ParseText($source)
        $runtime = [System.IO.Path]::GetDirectoryName([object].Assembly.Location)
        $references = [Microsoft.CodeAnalysis.MetadataReference[]]@(
            [Microsoft.CodeAnalysis.MetadataReference]::CreateFromFile([object].Assembly.Location)
            [Microsoft.CodeAnalysis.MetadataReference]::CreateFromFile((Join-Path $runtime 'System.Runtime.dll')))
        $options = [Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions]::new([Microsoft.CodeAnalysis.OutputKind]::DynamicallyLinkedLibrary)
        $compilation = [Microsoft.CodeAnalysis.CSharp.CSharpCompilation]::Create('BouncyCastle.Cryptography', [Microsoft.CodeAnalysis.SyntaxTree[]]@($tree), $references, $options)
        $null = New-Item -ItemType Directory -Path (Split-Path $Path) -Force
        $stream = [System.IO.File]::Create($Path)
        try { $emitted = $compilation.Emit($stream) } finally { $stream.Dispose() }
        if (-not $emitted.Success) { throw "Could not compile the stand-in: $($emitted.Diagnostics -join '; ')" }
    }

    # Runs the check in a new pwsh, optionally after loading a stand-in BouncyCastle into the default context.
    function Invoke-InFreshPwsh([string] $PreloadPath) {
        $script = {
            param($Manifest, $DeliveryFile, $Preload)
            $ErrorActionPreference = 'Stop'
            if ($Preload) { $null = [System.Reflection.Assembly]::LoadFrom($Preload) }
            Import-Module $Manifest
            $d = Get-Content -LiteralPath $DeliveryFile -Raw | ConvertFrom-Json -AsHashtable
            $verdict = Test-SeedreamWebhookSignature -Headers $d.Headers -Body ([Convert]::FromBase64String($d.Body)) -JwksUrl $d.Jwks -Now ([datetimeoffset]::UtcNow)
            $core = [Seedream.EditResult].Assembly
            $bouncy = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'BouncyCastle.Cryptography' } |
                ForEach-Object { "$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name)=$($_.GetName().Version)" }
            [pscustomobject]@{
                IsValid     = $verdict.IsValid
                Reason      = "$($verdict.Reason)"
                CoreContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core).Name
                Bouncy      = @($bouncy) -join ','
            } | ConvertTo-Json -Compress
        }
        $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes(
            "& { $script } '$($script:ManifestPath)' '$($script:deliveryFile)' '$PreloadPath'"))
        $text = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1
        if ($LASTEXITCODE -ne 0) { throw "The child pwsh failed: $text" }
        ($text | Select-Object -Last 1) | ConvertFrom-Json
    }
}

AfterAll {
    Stop-WebhookReceiver $script:receiver
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Assembly isolation on PowerShell 7' {
    It 'keeps Seedream.Core (and its type names) in the default context, BouncyCastle in the module''s own, and verifies a genuine delivery' {
        $r = Invoke-InFreshPwsh
        $r.CoreContext | Should -Be 'Default'
        $r.IsValid | Should -BeTrue
        $r.Bouncy | Should -Be 'Seedream=2.0.0.0'
    }

    It 'verifies a genuine delivery when an older BouncyCastle.Cryptography (<_>) was loaded first' -ForEach '1.0.0.0', '2.0.0.0' {
        $fake = Join-Path $TestDrive "bc-$_/BouncyCastle.Cryptography.dll"
        New-FakeBouncyCastle -Path $fake -Version $_
        $r = Invoke-InFreshPwsh -PreloadPath $fake
        $r.IsValid | Should -BeTrue -Because "the other copy ($($r.Bouncy)) must not be the one Seedream uses (reason: $($r.Reason))"
        # Both copies live side by side: the stand-in in the default context, the real one in Seedream's.
        $r.Bouncy | Should -Match "Default=$([regex]::Escape($_))"
        $r.Bouncy | Should -Match 'Seedream=2\.0\.0\.0'
    }
}
