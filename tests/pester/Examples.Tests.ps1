#Requires -Version 7.2
# Pester 5. Every example in the README (```powershell blocks) and in the help (docs/en-US: the
# EXAMPLES section of each cmdlet, and about_Seedream) runs as written, with the emulator standing
# in for fal: each in a fresh runspace whose location is a temp folder holding the files the
# examples mention, with FAL_KEY and SEEDREAM_PROXY_URL pointing at the emulator, and stand-ins for
# what an example takes from its host ($Request in Azure Functions, $WebhookData in Automation, a
# vault, a person at the keyboard, variables from earlier commands).

BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

    function Get-CodeBlocks {
        param([string] $Text)
        [regex]::Matches($Text, '(?ms)^```powershell\s*\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value.TrimEnd() }
    }

    $examples = [System.Collections.Generic.List[hashtable]]::new()
    $readme = Get-Content -Raw (Join-Path $repo 'README.md')
    $n = 0
    foreach ($code in Get-CodeBlocks $readme) {
        $n++
        $first = ($code -split "`r?`n")[0].Trim()
        $examples.Add(@{ Name = "README block $n ($first)"; Key = "README $n"; Code = $code })
    }
    foreach ($doc in Get-ChildItem (Join-Path $repo 'docs/en-US') -Filter *.md) {
        $text = Get-Content -Raw $doc.FullName
        $topic = $doc.BaseName
        if ($topic -like 'about_*') {
            $n = 0
            foreach ($code in Get-CodeBlocks $text) {
                $n++
                $examples.Add(@{ Name = "$topic block $n"; Key = "$topic $n"; Code = $code })
            }
            continue
        }
        $section = [regex]::Match($text, '(?ms)^## EXAMPLES\s*$(.*?)^## ').Groups[1].Value
        foreach ($m in [regex]::Matches($section, '(?ms)^### (Example (\d+)[^\r\n]*)\r?\n(.*?)(?=^### |\z)')) {
            $code = @(Get-CodeBlocks $m.Groups[3].Value)
            if ($code.Count -eq 0) { continue }
            $examples.Add(@{ Name = "$topic $($m.Groups[1].Value.Trim())"; Key = "$topic $($m.Groups[2].Value)"; Code = $code -join "`n" })
        }
    }

    # Examples that cannot run here, with the reason in the test name.
    $packagingSkip = 'registers a PSResource repository and installs the module into the user''s scope (packaging is tested by Build.Tests.ps1)'
    $skips = @{
        'Stop-SeedreamJob 2' = '-Confirm asks a person at the keyboard, and a test has none'
    }
    foreach ($e in $examples) {
        $e.SkipReason = $skips[$e.Key]
        # Found by what it does, not by its place in the README.
        if ($e.Code -match 'Register-PSResourceRepository') { $e.SkipReason = $packagingSkip }
        if ($e.SkipReason) { $e.Name = "$($e.Name) [skipped: $($e.SkipReason)]" }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:savedEnvironment = Save-SeedreamEnvironment

    # The examples name 127.0.0.1:5000; use that port when it is free, else any port and rewrite the address.
    $script:emulatorKey = 'local-emulator-key'
    $script:emulator = $null
    try { $script:emulator = Start-TestEmulator -Key $emulatorKey -ProcessingMs 50 -Runners 4 -Url 'http://127.0.0.1:5000' }
    catch { $script:emulator = Start-TestEmulator -Key $emulatorKey -ProcessingMs 50 -Runners 4 }
    $script:address = ([uri]$emulator.Url).Authority
    $env:FAL_KEY = $emulatorKey
    $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
    [Environment]::SetEnvironmentVariable('FAL_KEY_ID', $null)
    [Environment]::SetEnvironmentVariable('FAL_KEY_SECRET', $null)

    # A real signed delivery, for the webhook examples.
    Connect-TestEmulator $emulator
    $receiver = Start-WebhookReceiver
    try {
        $null = Submit-SeedreamJob -Prompt 'delivered' -Image "data:image/png;base64,$PngBase64" -WebhookUrl $receiver.Url -WarningAction SilentlyContinue
        $script:delivery = Receive-WebhookDelivery $receiver
    }
    finally { Stop-WebhookReceiver $receiver }
    Disconnect-Seedream

    # Azure Functions' response type and output binding, as the Functions host provides them.
    if (-not ('HttpResponseContext' -as [type])) {
        Add-Type -TypeDefinition 'public class HttpResponseContext { public object StatusCode; public object Body; public object Headers; }'
    }

    # Host stand-ins every example runspace gets.
    $script:commonSetup = @'
param($Manifest, $EmulatorKey, $Jwks, $SkipImport)
if (-not $SkipImport) { Import-Module $Manifest -ErrorAction Stop }
$global:OutputBindings = [System.Collections.Generic.List[object]]::new()
$global:OpenedItems = [System.Collections.Generic.List[object]]::new()
function global:Push-OutputBinding { param([string] $Name, $Value) $global:OutputBindings.Add([pscustomobject]@{ Name = $Name; Value = $Value }) }
function global:Read-Host { param([Parameter(Position = 0)] $Prompt, [switch] $AsSecureString)
    if ($AsSecureString) { ConvertTo-SecureString $EmulatorKey -AsPlainText -Force } else { $EmulatorKey } }
function global:Get-Credential { param([string] $UserName, [string] $Message)
    [pscredential]::new($(if ($UserName) { $UserName } else { 'key-id' }), (ConvertTo-SecureString 'key-secret' -AsPlainText -Force)) }
function global:Invoke-Item { param([Parameter(ValueFromPipeline, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string[]] $Path)
    process { foreach ($p in $Path) { $global:OpenedItems.Add($p) } } }
$global:SeedreamVault = @{}
New-Module -Name Microsoft.PowerShell.SecretManagement -ScriptBlock {
    function Set-Secret { param([string] $Name, [string] $Vault, $Secret) $global:SeedreamVault["$Vault/$Name"] = $Secret }
    function Get-Secret { [CmdletBinding()] param([string] $Name, [string] $Vault)
        if ($global:SeedreamVault.ContainsKey("$Vault/$Name")) { $global:SeedreamVault["$Vault/$Name"] }
        else { Write-Error "Secret $Name not found." -Category ObjectNotFound } }
    Export-ModuleMember -Function Set-Secret, Get-Secret
} | Import-Module -Global
# The emulator stands in for fal: a Connect-Seedream that names no proxy reaches it too, and its
# JWKS stands in for fal's published keys.
$global:PSDefaultParameterValues['Connect-Seedream:ProxyUrl'] = $env:SEEDREAM_PROXY_URL
$global:PSDefaultParameterValues['Test-SeedreamWebhookSignature:JwksUrl'] = $Jwks
$global:PSDefaultParameterValues['Receive-SeedreamWebhook:JwksUrl'] = $Jwks
'@

    # Variables an example expects from commands run before it.
    $script:setups = @{
        'about_Seedream 3'                  = 'Set-Secret -Name FalKey -Vault MyVault -Secret (ConvertTo-SecureString $EmulatorKey -AsPlainText -Force)'
        'Disconnect-Seedream 1'             = '$key = ConvertTo-SecureString $EmulatorKey -AsPlainText -Force'
        'Get-SeedreamJobStatus 2'           = '$jobs = Get-ChildItem ./photos -Filter *.png | Submit-SeedreamJob -Prompt "an earlier batch"'
        'Get-SeedreamJobStatus 3'           = '$job = Submit-SeedreamJob -Prompt "an earlier job" -Image ./a.png; $null = $job | Wait-SeedreamJob'
        'Receive-SeedreamJob 1'             = '$job = Submit-SeedreamJob -Prompt "an earlier job" -Image ./a.png'
        'Receive-SeedreamJob 2'             = 'Get-ChildItem ./photos -Filter *.png | Submit-SeedreamJob -Prompt "ids kept in a file" | ForEach-Object RequestId | Set-Content ./request-ids.txt'
        'Receive-SeedreamJob 3'             = '$job = Submit-SeedreamJob -Prompt "an earlier job" -Image ./a.png; $null = $job | Wait-SeedreamJob'
        'Save-SeedreamImage 2'              = '$results = Get-ChildItem ./photos -Filter *.png | Invoke-SeedreamEdit -Prompt "earlier results"'
        'Save-SeedreamImage 3'              = '$result = Invoke-SeedreamEdit -Prompt "an earlier result" -Image ./a.png'
        'Save-SeedreamImage 4'              = '$jobs = Get-ChildItem ./photos -Filter *.png | Submit-SeedreamJob -Prompt "an earlier batch"'
        'Stop-SeedreamJob 1'                = '$jobs = Get-ChildItem ./photos -Filter *.png | Submit-SeedreamJob -Prompt "an earlier batch"'
        'Wait-SeedreamJob 3'                = '$id = (Submit-SeedreamJob -Prompt "an earlier job" -Image ./a.png).RequestId'
        'Get-SeedreamJournal 2'             = 'Import-Csv ./edits.csv | Invoke-SeedreamEdit -OutFolder ./out -Journal ./edits.journal.jsonl | Out-Null'
        'Get-SeedreamJournal 3'             = 'Import-Csv ./edits.csv | Invoke-SeedreamEdit -OutFolder ./out -Journal ./edits.journal.jsonl | Out-Null'
        'Receive-SeedreamWebhook 3'         = '$headers = $Delivery.Headers; $bodyBytes = $Delivery.Body'
        'Test-SeedreamWebhookSignature 3'   = '$headers = $Delivery.Headers; $bodyBytes = $Delivery.Body'
        'Test-SeedreamWebhookSignature 4'   = '[pscustomobject]@{ Headers = $Delivery.Headers; Body = $Delivery.Text; ReceivedAt = [datetime]::Now } | Export-Clixml ./delivery.xml'
    }

    # What each host hands a script as parameters.
    $script:parameters = @{
        'Receive-SeedreamWebhook 1' = @{
            Request         = [pscustomobject]@{ Headers = $delivery.Headers; RawBody = $delivery.Text; Body = ($delivery.Text | ConvertFrom-Json -AsHashtable) }
            TriggerMetadata = @{}
        }
        'Receive-SeedreamWebhook 2' = @{
            WebhookData = [pscustomobject]@{ WebhookName = 'fal'; RequestHeader = [pscustomobject]$delivery.Headers; RequestBody = $delivery.Text }
        }
        'Test-SeedreamWebhookSignature 1' = @{
            Request         = [pscustomobject]@{ Headers = $delivery.Headers; RawBody = $delivery.Text; Body = ($delivery.Text | ConvertFrom-Json -AsHashtable) }
            TriggerMetadata = @{}
        }
        'Test-SeedreamWebhookSignature 2' = @{
            WebhookData = [pscustomobject]@{ WebhookName = 'fal'; RequestHeader = [pscustomobject]$delivery.Headers; RequestBody = $delivery.Text }
        }
    }

    # Errors an example is about (it collects them itself).
    $script:expectedErrors = @{
        # edits.csv, as the example's comment gives it, has a row whose image is on example.com,
        # which the emulator (like fal, for a file that does not exist) cannot download.
        'Invoke-SeedreamEdit 3' = @('SeedreamInputRejected')
    }

    # Checks beyond "ran without errors", on the example's folder and its runspace.
    $script:checks = @{
        'README 1'                 = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'edited') -Filter *.png) | Should -HaveCount 2 }
        'README 2'                 = { param($Folder) (Get-ChildItem (Join-Path $Folder 'out') -Filter *.png).Count | Should -BeGreaterOrEqual 4 }
        'Invoke-SeedreamEdit 1'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'edited') -Filter *.png) | Should -HaveCount 1 }
        'Invoke-SeedreamEdit 2'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'watercolour') -Filter *.png) | Should -HaveCount 2 }
        'Invoke-SeedreamEdit 3'    = { param($Folder, $Output) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1; "$Output" | Should -Match 'SeedreamInputRejected' }
        'Invoke-SeedreamEdit 4'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2 }
        'Invoke-SeedreamEdit 6'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2; Join-Path $Folder 'edits.journal.jsonl' | Should -Exist }
        'Invoke-SeedreamEdit 7'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Get-SeedreamJournal 3'    = { param($Folder) Join-Path $Folder 'edits.journal.jsonl' | Should -Not -Exist -Because 'every edit of the batch completed' }
        'Connect-Seedream 1'       = { param($Folder, $Output) $Output.KeySource | Should -Be 'parameter' }
        'Connect-Seedream 2'       = { param($Folder, $Output) $Output.KeySource | Should -Be 'SecretManagement:MyVault/FalKey' }
        'Connect-Seedream 3'       = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Disconnect-Seedream 1'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Disconnect-Seedream 2'    = { param($Folder, $Output) $Output.KeySource | Should -Be 'FAL_KEY'; $Output.Connected | Should -BeFalse }
        'Get-SeedreamJobStatus 1'  = { param($Folder, $Output) $Output.PSObject.TypeNames[0] | Should -Be 'Seedream.JobStatus' }
        'Get-SeedreamJobStatus 3'  = { param($Folder, $Output) @($Output) | Should -Not -BeNullOrEmpty }
        'Receive-SeedreamJob 1'    = { param($Folder, $Output) $Output.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult' }
        'Receive-SeedreamJob 2'    = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'results') -Filter *.png) | Should -HaveCount 2 }
        'Receive-SeedreamJob 3'    = { param($Folder, $Output, $Runspace) Join-Path $Folder 'first.png' | Should -Exist; @($Runspace.SessionStateProxy.GetVariable('OpenedItems')) | Should -HaveCount 1 }
        'Save-SeedreamImage 1'     = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2 }
        'Save-SeedreamImage 2'     = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'gallery') -Filter *.png) | Should -HaveCount 2 }
        'Save-SeedreamImage 3'     = { param($Folder) Join-Path $Folder 'cover.png' | Should -Exist }
        'Save-SeedreamImage 4'     = { param($Folder) Join-Path $Folder 'batch' | Should -Not -Exist }
        'Send-SeedreamFile 1'      = { param($Folder, $Output) @($Output) | Should -HaveCount 2 }
        'Send-SeedreamFile 2'      = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2 }
        'Stop-SeedreamJob 1'       = { param($Folder, $Output) @($Output) | Should -HaveCount 2; $Output.Outcome | Should -Not -BeNullOrEmpty }
        'Submit-SeedreamJob 1'     = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2 }
        'Submit-SeedreamJob 2'     = { param($Folder) Join-Path $Folder 'jobs.xml' | Should -Exist; @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 2 }
        'Submit-SeedreamJob 3'     = { param($Folder, $Output) $Output.PSObject.TypeNames[0] | Should -Be 'Seedream.Job' }
        'Receive-SeedreamWebhook 1' = { param($Folder, $Output, $Runspace)
            $bindings = @($Runspace.SessionStateProxy.GetVariable('OutputBindings'))
            $bindings | Should -HaveCount 1
            "$($bindings[0].Value.StatusCode)" | Should -Be 'OK'
            @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Receive-SeedreamWebhook 2' = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Receive-SeedreamWebhook 3' = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Test-SeedreamWebhookSignature 1' = { param($Folder, $Output, $Runspace)
            $bindings = @($Runspace.SessionStateProxy.GetVariable('OutputBindings'))
            $bindings | Should -HaveCount 1
            "$($bindings[0].Value.StatusCode)" | Should -Be 'OK' }
        'Test-SeedreamWebhookSignature 3' = { param($Folder, $Output) "$Output" | Should -Match 'IsValid\s*:\s*True' }
        'Test-SeedreamWebhookSignature 4' = { param($Folder, $Output) $Output.IsValid | Should -BeTrue }
        'Wait-SeedreamJob 2'       = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'Wait-SeedreamJob 3'       = { param($Folder, $Output) @($Output | Where-Object { $_.PSObject.TypeNames[0] -eq 'Seedream.EditResult' }) | Should -HaveCount 1 }
        'New-SeedreamImage 1'      = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'generated') -File) | Should -HaveCount 1 }
        'New-SeedreamImage 2'      = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'generated') -File) | Should -HaveCount 3 }
        'New-SeedreamImage 3'      = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'generated') -File) | Should -HaveCount 2 }
        'Get-SeedreamModel 1'      = { param($Folder, $Output) @($Output | Where-Object { $_.PSObject.TypeNames[0] -eq 'Seedream.Model' }).Count | Should -BeGreaterThan 8 }
        'about_Seedream 3'         = { param($Folder, $Output, $Runspace)
            $check = [powershell]::Create()
            $check.Runspace = $Runspace
            try { $check.AddScript('(Get-SeedreamContext).KeySource').Invoke() | Should -Be 'SecretManagement:MyVault/FalKey' }
            finally { $check.Dispose() } }
        'about_Seedream 4'         = { param($Folder) @(Get-ChildItem (Join-Path $Folder 'out') -Filter *.png) | Should -HaveCount 1 }
        'about_Seedream 6'         = { param($Folder) Join-Path $Folder 'clean/log.csv' | Should -Exist; @(Import-Csv (Join-Path $Folder 'clean/log.csv')) | Should -HaveCount 2 }
    }

    # The files the examples mention, fresh for every example.
    function script:New-ExampleFolder {
        $folder = Join-Path $TestDrive ("ex-" + [guid]::NewGuid().ToString('n').Substring(0, 12))
        foreach ($png in 'mug.png', 'logo.png', 'a.png', 'b.png', 'house.png', 'portrait.png', 'photo.png', 'square.png',
            'photos/one.png', 'photos/two.png', 'mugs/red.png', 'mugs/blue.png', 'examples/images/landscape.png', 'examples/images/logo.png') {
            $null = New-TestImage -Path (Join-Path $folder $png)
        }
        foreach ($jpg in 'beach.jpg', 'street.jpg', 'field.jpg', 'photo.jpg', 'photos/one.jpg', 'photos/two.jpg') {
            $null = New-TestImage -Path (Join-Path $folder $jpg) -Kind jpeg
        }
        $null = New-TestImage -Path (Join-Path $folder 'scans/page[1].webp') -Kind webp
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'output') -Target (Join-Path $RepoRoot 'output')
        Set-Content -LiteralPath (Join-Path $folder 'edits.csv') -Value @(
            'Prompt,Image,ImageSize'
            '"Add snow on the roof",./house.png,landscape_16_9'
            '"Turn the mug blue",./mug.png,auto_2K'
        )
        $folder
    }
}

AfterAll {
    Restore-SeedreamEnvironment $savedEnvironment
    Stop-TestEmulator $script:emulator
}

Describe 'Examples' {
    It '<Name>' -ForEach $examples {
        if ($SkipReason) {
            Set-ItResult -Skipped -Because $SkipReason
            return
        }
        $folder = New-ExampleFolder
        $code = $Code.Replace('127.0.0.1:5000', $address)
        if ($Key -eq 'Invoke-SeedreamEdit 3') {
            # This example's comment gives the content of edits.csv.
            Set-Content -LiteralPath (Join-Path $folder 'edits.csv') -Value @(
                'Prompt,Image,ImageSize'
                '"Add snow on the roof",./house.png,landscape_16_9'
                '"Turn the car red",https://example.com/car.png,auto_2K'
            )
        }

        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        try {
            $runspace.SessionStateProxy.Path.SetLocation($folder) | Out-Null
            $runspace.SessionStateProxy.SetVariable('EmulatorKey', $emulatorKey)
            $runspace.SessionStateProxy.SetVariable('Delivery', $delivery)
            $selfImporting = $code -match 'Import-Module\s+\./output/Seedream'
            $null = $ps.AddScript($commonSetup).AddArgument($ManifestPath).AddArgument($emulatorKey).AddArgument("$($emulator.Url)/.well-known/jwks.json").AddArgument($selfImporting)
            $null = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty -Because 'the stand-ins must load'
            if ($setups[$Key]) {
                $ps.Commands.Clear()
                $null = $ps.AddScript($setups[$Key], $false).Invoke()
                ($ps.Streams.Error | ForEach-Object { $_.ToString() }) -join '; ' | Should -BeNullOrEmpty -Because 'the stand-in variables must be made'
            }

            $ps.Commands.Clear()
            $ps.Streams.ClearStreams()
            $null = $ps.AddScript($code, $false)
            if ($parameters[$Key]) { foreach ($p in $parameters[$Key].GetEnumerator()) { $null = $ps.AddParameter($p.Key, $p.Value) } }
            $terminating = $null
            try { $output = $ps.Invoke() } catch { $terminating = $_.Exception.InnerException ?? $_.Exception }

            $terminating | Should -BeNullOrEmpty -Because "the example should not stop with an error: $terminating"
            $allowed = @($expectedErrors[$Key])
            $unexpected = @($ps.Streams.Error | Where-Object { ($_ | Get-ErrorId) -notin $allowed } | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
            $unexpected -join "`n" | Should -BeNullOrEmpty -Because 'the example should run without errors'
            if ($checks[$Key]) {
                $text = ($output | Out-String) + ($ps.Streams.Error | Out-String)
                $value = if (@($output).Count -eq 1) { $output[0] } else { $output }
                if ($Key -eq 'Invoke-SeedreamEdit 3' -or $Key -eq 'Test-SeedreamWebhookSignature 3') { $value = $text }
                & $checks[$Key] $folder $value $runspace
            }
        }
        finally {
            $ps.Dispose()
            $runspace.Dispose()
        }
    }
}
