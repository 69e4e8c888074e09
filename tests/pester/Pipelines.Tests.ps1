#Requires -Version 7.2
# Pester 5. What users really pipe into the edit cmdlets: file items (live and deserialized),
# Import-Csv rows, JSON objects, the module's own outputs; and the module inside other runspaces
# (Start-Job, ForEach-Object -Parallel, Start-ThreadJob) and under Set-StrictMode.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50 -Runners 4
    Connect-TestEmulator $emulator
    $script:photos = Join-Path $TestDrive 'photos'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $photos "p$_.png") }
    $script:files = (Get-ChildItem $photos -Filter *.png).FullName | Sort-Object
    $script:savedEnvironment = Save-SeedreamEnvironment
}

AfterAll {
    Restore-SeedreamEnvironment $savedEnvironment
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Piping objects into Invoke-SeedreamEdit' {
    It 'takes every file item''s own path, never its Size or Length, from Get-ChildItem' {
        $results = Get-ChildItem $photos -Filter *.png | Invoke-SeedreamEdit -Prompt 'items' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        ($results.InputImages | Sort-Object) | Should -Be $files
        foreach ($r in $results) { (Get-EmulatorJob $emulator $r.RequestId).input.PSObject.Properties.Name | Should -Not -Contain 'image_size' }
    }

    It 'takes file items saved with Export-Clixml and read back with Import-Clixml' {
        $path = Join-Path $TestDrive 'items.xml'
        Get-ChildItem $photos -Filter *.png | Export-Clixml -LiteralPath $path
        $results = Import-Clixml -LiteralPath $path | Invoke-SeedreamEdit -Prompt 'deserialized items' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        ($results.InputImages | Sort-Object) | Should -Be $files
    }

    It 'takes file items from Start-Job via Receive-Job' {
        $items = Start-Job -ScriptBlock { Get-ChildItem $using:photos -Filter *.png } | Receive-Job -Wait -AutoRemoveJob
        $items[0].PSObject.TypeNames[0] | Should -BeLike 'Deserialized.*'
        $results = $items | Invoke-SeedreamEdit -Prompt 'from a job' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        ($results.InputImages | Sort-Object) | Should -Be $files
    }

    It 'takes file items turned into JSON and back' {
        $items = Get-ChildItem $photos -Filter *.png | Select-Object Name, FullName, Length | ConvertTo-Json | ConvertFrom-Json
        $results = $items | Invoke-SeedreamEdit -Prompt 'json items' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        ($results.InputImages | Sort-Object) | Should -Be $files
    }

    It 'takes JSON edit records with prompt and image fields' {
        $json = @"
[ { "prompt": "json one", "image_urls": ["$($files[0])"], "seed": 5 },
  { "prompt": "json two", "image_urls": ["$($files[1])", "$($files[2])"] } ]
"@
        $results = $json | ConvertFrom-Json | Invoke-SeedreamEdit -Ordered -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $results.Prompt | Should -Be @('json one', 'json two')
        $results[0].Seed | Should -Be 5
        $results[1].InputImages | Should -HaveCount 2
    }

    It 'takes paths piped as plain strings, relative to the current location' {
        Push-Location $photos
        try { $results = 'p1.png', './p2.png' | Invoke-SeedreamEdit -Prompt 'strings' -Ordered }
        finally { Pop-Location }
        $results.InputImages | Should -Be @($files[0], $files[1])
    }

    It 'takes uploads piped from Send-SeedreamFile, one edit each' {
        $results = Get-ChildItem $photos -Filter *.png | Send-SeedreamFile | Invoke-SeedreamEdit -Prompt 'uploaded first' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $results | Should -HaveCount 3
    }

    It 'chains edits: each result piped on is edited again' {
        $second = Get-ChildItem $photos -Filter *.png | Invoke-SeedreamEdit -Prompt 'step one' | Invoke-SeedreamEdit -Prompt 'step two'
        $second | Should -HaveCount 3
        $second.Prompt | Select-Object -Unique | Should -Be 'step two'
        $second | ForEach-Object { $_.InputImages[0] | Should -Match '^http' }
    }

    It 'ignores CSV columns that are not parameters' {
        $csv = Join-Path $TestDrive 'extra.csv'
        Set-Content -LiteralPath $csv -Value 'Prompt,Image,Notes,Owner', "With notes,$($files[0]),remember the milk,ann"
        $result = Import-Csv $csv | Invoke-SeedreamEdit -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.Prompt | Should -Be 'With notes'
    }
}

Describe 'Other runspaces' {
    AfterEach { Restore-SeedreamEnvironment $savedEnvironment }

    It 'runs edits in ForEach-Object -Parallel with the module imported in each runspace' {
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $manifest = $ManifestPath
        $results = $files | ForEach-Object -ThrottleLimit 3 -Parallel {
            Import-Module $using:manifest
            Invoke-SeedreamEdit -Prompt 'in parallel' -Image $_
        }
        $results | Should -HaveCount 3
        ($results.InputImages | Sort-Object) | Should -Be $files
    }

    It 'starts a new runspace from the environment, not from this session''s Connect-Seedream' {
        $manifest = $ManifestPath
        $env:FAL_KEY = $null
        $env:SEEDREAM_PROXY_URL = $null
        $sources = 1 | ForEach-Object -Parallel { Import-Module $using:manifest; (Get-SeedreamContext).KeySource }
        $sources | Should -Be 'none'
        (Get-SeedreamContext).KeySource | Should -Be 'parameter'
    }

    It 'runs an edit in Start-ThreadJob' {
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $manifest = $ManifestPath
        $image = $files[0]
        $result = Start-ThreadJob { Import-Module $using:manifest; Invoke-SeedreamEdit -Prompt 'thread job' -Image $using:image } |
            Receive-Job -Wait -AutoRemoveJob -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $result.Prompt | Should -Be 'thread job'
    }

    It 'returns results from Start-Job that the next step can save' {
        $env:FAL_KEY = $emulator.Key
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $manifest = $ManifestPath
        $image = $files[0]
        $result = Start-Job { Import-Module $using:manifest; Invoke-SeedreamEdit -Prompt 'process job' -Image $using:image } |
            Receive-Job -Wait -AutoRemoveJob
        $result.PSObject.TypeNames[0] | Should -Be 'Deserialized.Seedream.EditResult'

        $saved = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'from-job')
        $saved | Should -HaveCount 1
        $again = $result | Invoke-SeedreamEdit -Prompt 'edited after the job'
        $again.InputImages | Should -Be @($result.Images[0].Url)
    }
}

Describe 'Set-StrictMode -Version Latest' {
    It 'runs the whole workflow and formats every output without errors' {
        $out = Join-Path $TestDrive 'strict'
        $text = & {
            Set-StrictMode -Version Latest
            $ErrorActionPreference = 'Stop'
            $r = Invoke-SeedreamEdit -Prompt 'strict' -Image $files[0]
            $job = Submit-SeedreamJob -Prompt 'strict job' -Image $r.Images[0]
            $status = $job | Wait-SeedreamJob -TimeoutSec 30
            $received = $status | Receive-SeedreamJob
            $saved = $received | Save-SeedreamImage -Destination $out
            $file = Send-SeedreamFile -LiteralPath $files[1]
            $cancel = Submit-SeedreamJob -Prompt 'strict cancel' -Image $file | Stop-SeedreamJob -PassThru -Confirm:$false
            $context = Get-SeedreamContext
            foreach ($o in $r, $r.Images[0], $job, $status, $received, $saved, $file, $cancel, $context) {
                $o | Format-Table | Out-String -Width 80
                $o | Format-List | Out-String -Width 80
            }
        } 2>&1
        $errors = @($text | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors | Should -BeNullOrEmpty
        ($text | Out-String) | Should -Not -Match 'strict mode|PropertyNotFoundStrict|cannot be found on this object'
        Get-ChildItem $out | Should -Not -BeNullOrEmpty
    }
}
