#Requires -Version 7.2
# Pester 5. Every output type survives Export-Clixml/Import-Clixml and ConvertTo-Json/ConvertFrom-Json,
# and the result goes back into every cmdlet that takes it, as a later runbook step would use it.

BeforeDiscovery {
    $uses = @(
        @{ Type = 'EditResult'; Use = 'piped to Invoke-SeedreamEdit' }
        @{ Type = 'EditResult'; Use = 'given to Invoke-SeedreamEdit -Image' }
        @{ Type = 'EditResult'; Use = 'piped to Submit-SeedreamJob' }
        @{ Type = 'EditResult'; Use = 'piped to Save-SeedreamImage' }
        @{ Type = 'EditResult'; Use = 'piped to Receive-SeedreamJob' }
        @{ Type = 'Image'; Use = 'piped to Invoke-SeedreamEdit' }
        @{ Type = 'Image'; Use = 'given to Invoke-SeedreamEdit -Image' }
        @{ Type = 'Image'; Use = 'piped to Submit-SeedreamJob' }
        @{ Type = 'Image'; Use = 'piped to Save-SeedreamImage' }
        @{ Type = 'File'; Use = 'piped to Invoke-SeedreamEdit' }
        @{ Type = 'File'; Use = 'given to Invoke-SeedreamEdit -Image' }
        @{ Type = 'Job'; Use = 'piped to Get-SeedreamJobStatus' }
        @{ Type = 'Job'; Use = 'piped to Wait-SeedreamJob' }
        @{ Type = 'Job'; Use = 'piped to Receive-SeedreamJob' }
        @{ Type = 'Job'; Use = 'piped to Stop-SeedreamJob' }
        @{ Type = 'JobStatus'; Use = 'piped to Receive-SeedreamJob' }
        @{ Type = 'JobStatus'; Use = 'piped to Get-SeedreamJobStatus' }
        @{ Type = 'CancelResult'; Use = 'piped to Get-SeedreamJobStatus' }
    )
    $cases = foreach ($via in 'Clixml', 'Json') { foreach ($u in $uses) { @{ Type = $u.Type; Use = $u.Use; Via = $via } } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50 -Runners 4
    Connect-TestEmulator $emulator
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'rt.png')).FullName
    $script:edit = Invoke-SeedreamEdit -Prompt 'round trip source' -Image $image

    # A fresh live object of each type (a job that is still queued, where that matters).
    $script:make = @{
        EditResult   = { $edit }
        Image        = { $edit.Images[0] }
        File         = { Send-SeedreamFile -LiteralPath $image }
        Job          = { Submit-SeedreamJob -Prompt 'round trip job' -Image $edit.Images[0] }
        JobStatus    = { Submit-SeedreamJob -Prompt 'round trip status' -Image $edit.Images[0] | Wait-SeedreamJob -TimeoutSec 30 }
        CancelResult = { Submit-SeedreamJob -Prompt 'round trip cancel' -Image $edit.Images[0] | Stop-SeedreamJob -PassThru -Confirm:$false -WarningAction SilentlyContinue }
    }

    function script:Convert-Through {
        param($InputObject, [string] $Via)
        switch ($Via) {
            'Clixml' {
                $path = Join-Path $TestDrive "rt-$([guid]::NewGuid().ToString('n')).xml"
                $InputObject | Export-Clixml -LiteralPath $path
                Import-Clixml -LiteralPath $path
            }
            'Json' { $InputObject | ConvertTo-Json -Depth 6 | ConvertFrom-Json }
        }
    }

    # The URLs an object stands for as an input image.
    function script:Get-ImageUrls {
        param($Live)
        if ($Live.PSObject.Properties['Images']) { @($Live.Images.Url) } else { @($Live.Url) }
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Output objects after <Via>' -ForEach @(@{ Via = 'Clixml' }, @{ Via = 'Json' }) {
    It 'keep the edit result''s request id, prompt, seed, inputs and image URLs' {
        $copy = Convert-Through $edit $Via
        $copy.RequestId | Should -Be $edit.RequestId
        $copy.Prompt | Should -Be $edit.Prompt
        $copy.Seed | Should -Be $edit.Seed
        @($copy.InputImages) | Should -Be @($edit.InputImages)
        @($copy.Images.Url) | Should -Be @($edit.Images.Url)
    }

    It 'keep the context''s settings and never the key' {
        $copy = Convert-Through (Get-SeedreamContext) $Via
        $copy.KeySource | Should -Be 'parameter'
        $copy.ProxyUrl | Should -Be $emulator.ProxyUrl
        ($copy | Out-String) + ($copy | ConvertTo-Json) | Should -Not -Match "Key $($emulator.Key)\b"
    }

    It 'keep the webhook verdict''s reason as a name' {
        $verdict = Test-SeedreamWebhookSignature -Headers @{} -Body '{}' -JwksUrl "$($emulator.Url)/.well-known/jwks.json"
        $copy = Convert-Through $verdict $Via
        $copy.IsValid | Should -BeFalse
        "$($copy.Reason)" | Should -Be 'MissingHeader'
    }
}

Describe 'A <Type> after <Via>, <Use>' -ForEach $cases {
    It 'works like the live object' {
        $live = & $make[$Type]
        $copy = Convert-Through $live $Via
        $copy | Should -Not -BeNullOrEmpty

        switch ($Use) {
            'piped to Invoke-SeedreamEdit' {
                $r = $copy | Invoke-SeedreamEdit -Prompt "again from $Type" -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                @($r) | Should -HaveCount 1
                @($r.InputImages) | Should -Be (Get-ImageUrls $live)
            }
            'given to Invoke-SeedreamEdit -Image' {
                $r = Invoke-SeedreamEdit -Prompt "again from $Type" -Image $copy -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                @($r.InputImages) | Should -Be (Get-ImageUrls $live)
            }
            'piped to Submit-SeedreamJob' {
                $j = $copy | Submit-SeedreamJob -Prompt "queued from $Type" -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                @((Get-EmulatorJob $emulator $j.RequestId).input.image_urls) | Should -Be (Get-ImageUrls $live)
            }
            'piped to Save-SeedreamImage' {
                $files = $copy | Save-SeedreamImage -Destination (Join-Path $TestDrive "save-$Via-$Type-$([guid]::NewGuid().ToString('n'))") -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                @($files) | Should -HaveCount @(Get-ImageUrls $live).Count
            }
            'piped to Receive-SeedreamJob' {
                $r = $copy | Receive-SeedreamJob -Wait -ErrorVariable problems -ErrorAction SilentlyContinue
                $problems | Should -BeNullOrEmpty
                $r.RequestId | Should -Be $live.RequestId
                $r.Images | Should -Not -BeNullOrEmpty
            }
            'piped to Get-SeedreamJobStatus' {
                $s = $copy | Get-SeedreamJobStatus -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                $s.RequestId | Should -Be $live.RequestId
            }
            'piped to Wait-SeedreamJob' {
                $s = $copy | Wait-SeedreamJob -TimeoutSec 30 -ErrorVariable problems
                $problems | Should -BeNullOrEmpty
                $s.Status | Should -Be 'COMPLETED'
            }
            'piped to Stop-SeedreamJob' {
                $c = $copy | Stop-SeedreamJob -PassThru -Confirm:$false -ErrorVariable problems -WarningAction SilentlyContinue
                $problems | Should -BeNullOrEmpty
                $c.RequestId | Should -Be $live.RequestId
            }
            default { throw "Unknown use: $Use" }
        }
    }
}
