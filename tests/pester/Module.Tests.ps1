#Requires -Version 7.2
# Pester 5. The module as a whole: manifest, commands, help, and reloading it in a live session.

BeforeDiscovery {
    # -ForEach data is read during discovery, before BeforeAll runs: the cmdlet list is needed here.
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $cmdletNames = (Get-Command -Module Seedream -CommandType Cmdlet).Name
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'reload-key' -ProcessingMs 50
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'reload.png')).FullName
    $script:savedEnvironment = Save-SeedreamEnvironment
}

AfterAll {
    Restore-SeedreamEnvironment $savedEnvironment
    Import-SeedreamModule
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'The module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest $ManifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the cmdlets of the README''s cmdlet table' {
        $readme = Get-Content -Raw (Join-Path $RepoRoot 'README.md')
        $expected = [regex]::Matches($readme, '(?m)^\| `([A-Z][a-z]+-Seedream[A-Za-z]*)` \|') | ForEach-Object { $_.Groups[1].Value }
        @($expected).Count | Should -BeGreaterThan 11
        (Get-Command -Module Seedream).Name | Sort-Object | Should -Be ($expected | Sort-Object -Unique)
    }

    It 'has full help for <_>' -ForEach $cmdletNames {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.description | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'has the about_Seedream topic' {
        Get-Help about_Seedream | Out-String | Should -Match 'SEEDREAM_PROXY_URL'
    }
}

Describe 'Reloading the module' {
    BeforeAll {
        # The innermost exception of a .NET call that PowerShell wraps in a MethodInvocationException.
        function Get-CallFailure([scriptblock] $Call) {
            try { $null = & $Call } catch { return $_.Exception.GetBaseException() }
            throw 'The call did not fail.'
        }
    }
    BeforeEach {
        Import-SeedreamModule
        Disconnect-Seedream
        Clear-SeedreamEnvironment
    }
    AfterEach {
        Restore-SeedreamEnvironment $savedEnvironment
    }

    It 'edits after Import-Module -Force with a fresh Connect-Seedream' {
        Connect-TestEmulator $emulator
        $null = Invoke-SeedreamEdit -Prompt 'before reload' -Image $image

        Import-Module $ManifestPath -Force
        Connect-TestEmulator $emulator
        $result = Invoke-SeedreamEdit -Prompt 'after reload' -Image $image -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'edits after Import-Module -Force with only FAL_KEY and SEEDREAM_PROXY_URL' {
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $null = Invoke-SeedreamEdit -Prompt 'env before reload' -Image $image

        Import-Module $ManifestPath -Force
        $result = Invoke-SeedreamEdit -Prompt 'env after reload' -Image $image -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'edits, submits and uploads after Remove-Module and Import-Module with only the environment' {
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $null = Invoke-SeedreamEdit -Prompt 'env before removal' -Image $image

        Remove-Module Seedream
        Import-Module $ManifestPath
        $result = Invoke-SeedreamEdit -Prompt 'env after removal' -Image $image -ErrorVariable problems
        $job = Submit-SeedreamJob -Prompt 'job after removal' -Image $image -ErrorVariable +problems
        $file = Send-SeedreamFile -LiteralPath $image -ErrorVariable +problems
        $status = $job | Wait-SeedreamJob -TimeoutSec 30 -ErrorVariable +problems

        ($problems | ForEach-Object { $_.Exception.Message }) -join '; ' | Should -BeNullOrEmpty
        $result.Images | Should -Not -BeNullOrEmpty
        $file.Url | Should -Not -BeNullOrEmpty
        $status.Status | Should -Be 'COMPLETED'
    }

    It 'saves images after Remove-Module and Import-Module, with no key at all' {
        Connect-TestEmulator $emulator
        $result = Invoke-SeedreamEdit -Prompt 'to save later' -Image $image
        $null = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'save-before')
        Disconnect-Seedream

        Remove-Module Seedream
        Import-Module $ManifestPath
        $files = $result.Images[0].Url | Save-SeedreamImage -Destination (Join-Path $TestDrive 'save-after') -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $files | Should -HaveCount 1
        $files[0].Length | Should -BeGreaterThan 0
    }

    It 'forgets Connect-Seedream settings when the module is removed' {
        Connect-Seedream -ApiKey 'session-only' -ProxyUrl $emulator.ProxyUrl
        (Get-SeedreamContext).KeySource | Should -Be 'parameter'

        Remove-Module Seedream
        Import-Module $ManifestPath

        $context = Get-SeedreamContext
        $context.KeySource | Should -Be 'none'
        $context.Connected | Should -BeFalse
        $context.ProxyUrl | Should -BeNullOrEmpty
    }

    It 'disposes the removed session''s client, and the next import gets a new one' {
        Connect-TestEmulator $emulator
        $store = [Seedream.Commands.Session.SessionStore]
        $old = $store::GetConnected([runspace]::DefaultRunspace)
        $job = [Seedream.Protocol.JobRef]::new([Seedream.Protocol.EndpointId]::Parse('fal-ai/bytedance/seedream/v5/lite/edit'), [guid]::NewGuid().ToString())
        $none = [Threading.CancellationToken]::None
        # A call fal answers (an unknown request) while the module is loaded...
        $old.Client.CancelAsync($job, $none).GetAwaiter().GetResult().Outcome | Should -Be 'NotFound'

        Remove-Module Seedream
        # ...is refused by the same client once the module is gone: its connections are closed.
        (Get-CallFailure { $old.Client.CancelAsync($job, $none).GetAwaiter().GetResult() }) | Should -BeOfType ([ObjectDisposedException])

        Import-Module $ManifestPath
        Connect-TestEmulator $emulator
        $new = $store::GetConnected([runspace]::DefaultRunspace)
        [object]::ReferenceEquals($new.Client, $old.Client) | Should -BeFalse
        $new.Client.CancelAsync($job, $none).GetAwaiter().GetResult().Outcome | Should -Be 'NotFound'
        $result = Invoke-SeedreamEdit -Prompt 'on the new client' -Image $image -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'disposes the environment''s session and the key-less download client with the module' {
        $store = [Seedream.Commands.Session.SessionStore]
        $runspace = [runspace]::DefaultRunspace
        $keyless = $store::DownloadClient($runspace)
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $fromEnvironment = $store::Current($runspace, $null)
        [object]::ReferenceEquals($store::DownloadClient($runspace), $fromEnvironment.Client) | Should -BeTrue
        $job = [Seedream.Protocol.JobRef]::new([Seedream.Protocol.EndpointId]::Parse('fal-ai/bytedance/seedream/v5/lite/edit'), [guid]::NewGuid().ToString())
        $none = [Threading.CancellationToken]::None
        $target = Join-Path $TestDrive 'keyless.bin'

        Remove-Module Seedream

        (Get-CallFailure { $fromEnvironment.Client.CancelAsync($job, $none).GetAwaiter().GetResult() }) | Should -BeOfType ([ObjectDisposedException])
        (Get-CallFailure { $keyless.DownloadAsync("$($emulator.Url)/files/none.png", $target, $null, 1024, $null, $none).GetAwaiter().GetResult() }) | Should -BeOfType ([ObjectDisposedException])
        Import-Module $ManifestPath
        [object]::ReferenceEquals($store::Current($runspace, $null), $fromEnvironment) | Should -BeFalse
        Clear-SeedreamEnvironment
        [object]::ReferenceEquals($store::DownloadClient($runspace), $keyless) | Should -BeFalse
    }

    It 'keeps this session''s connection when another runspace reloads or removes the module' {
        Connect-TestEmulator $emulator
        $null = Invoke-SeedreamEdit -Prompt 'before the other runspace' -Image $image
        $manifest = $ManifestPath
        Start-ThreadJob { Import-Module $using:manifest -Force; Remove-Module Seedream } | Receive-Job -Wait -AutoRemoveJob
        1..2 | ForEach-Object -Parallel { Import-Module $using:manifest; Remove-Module Seedream }

        (Get-SeedreamContext).Connected | Should -BeTrue
        $result = Invoke-SeedreamEdit -Prompt 'after the other runspace' -Image $image -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'forgets Connect-Seedream settings on Import-Module -Force, falling back to the environment' {
        $env:FAL_KEY = $emulator.Key
        Connect-Seedream -ApiKey 'session-only' -ProxyUrl $emulator.ProxyUrl

        Import-Module $ManifestPath -Force

        $context = Get-SeedreamContext
        $context.KeySource | Should -Be 'FAL_KEY'
        $context.Connected | Should -BeFalse
    }
}
