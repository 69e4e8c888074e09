#Requires -Version 7.2
# Pester 5. What users see: the default views at 80 columns, for live and imported objects.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'view.png')).FullName
    $script:result = Invoke-SeedreamEdit -Prompt 'Make it snow' -Image $image
    $script:job = Submit-SeedreamJob -Prompt 'A queued view' -Image $image -NumImages 2 -MaxImages 2
    $script:status = $job | Wait-SeedreamJob -TimeoutSec 30

    function script:Show { param($InputObject, [switch] $List)
        if ($List) { $InputObject | Format-List | Out-String -Width 80 } else { $InputObject | Format-Table | Out-String -Width 80 }
    }
    function script:Import-Copy { param($InputObject)
        $path = Join-Path $TestDrive "view-$([guid]::NewGuid().ToString('n')).xml"
        $InputObject | Export-Clixml -LiteralPath $path
        Import-Clixml -LiteralPath $path
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Default views at 80 columns' {
    It 'shows an edit result''s request, input and prompt readably, and its endpoint in the list' {
        $text = Show $result
        $text | Should -Match $result.RequestId.Substring(0, 8)
        $text | Should -Match 'Make it snow'
        $text | Should -Match 'view\.png'
        $list = Show $result -List
        $list | Should -Match $result.RequestId
        $list | Should -Match ([regex]::Escape('fal-ai/bytedance/seedream/v5/lite/edit'))
    }

    It 'shows an image''s file name in the image table' {
        $text = Show $result.Images
        $text | Should -Match ([regex]::Escape($result.Images[0].FileName))
    }

    It 'shows a saved image''s local file name in the image table' {
        $saved = Invoke-SeedreamEdit -Prompt 'saved view' -Image $image -OutFolder (Join-Path $TestDrive 'v')
        $text = Show $saved.Images
        $text | Should -Match ([regex]::Escape((Split-Path -Leaf $saved.Images[0].LocalPath)))
    }

    It 'keeps the context table''s headers on one line' {
        $text = Show (Get-SeedreamContext)
        $lines = $text -split "`r?`n"
        $at = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match 'KeySource' })
        $lines[$at] | Should -Match '\bRetries\b'
        $lines[$at] | Should -Match '\bTimeout'
        $lines[$at] | Should -Match '\bConnected\b'
        $lines[$at + 1] | Should -Match '^[-\s]+$' -Because 'the line under the headers is the rule, not the rest of a wrapped header'
    }

    It 'shows the job''s whole request id and its prompt readably, and the endpoint in the list' {
        $text = Show $job
        $text | Should -Match ([regex]::Escape($job.RequestId)) -Because 'the id is what a user copies from a job'
        $text | Should -Match 'A queued view'
        Show $job -List | Should -Match ([regex]::Escape('fal-ai/bytedance/seedream/v5/lite/edit'))
    }

    It 'says MaxImageCount in the job list, as the property is named' {
        $text = Show $job -List
        $text | Should -Match 'MaxImageCount\s*:\s*4'
        $text | Should -Not -Match 'MaxImages\s*:'
    }

    It 'shows when an imported job was submitted' {
        $copy = Import-Copy $job
        $row = (Show $copy) -split "`r?`n" | Where-Object { $_ -match $job.RequestId.Substring(0, 8) }
        $row | Should -Match '\d{2}-\d{2} \d{2}:\d{2}' -Because 'the Submitted column shows the date and time'
        $row | Should -Be (((Show $job) -split "`r?`n") | Where-Object { $_ -match $job.RequestId.Substring(0, 8) })
    }

    It 'shows the same table for an imported result as for the live one' {
        (Show (Import-Copy $result)) | Should -Be (Show $result)
    }

    It 'describes a finished job''s status in words' {
        $text = Show $status
        $text | Should -Match 'COMPLETED'
        $text | Should -Match 'done'
    }

    It 'shows a cancel outcome by name' {
        $cancel = Submit-SeedreamJob -Prompt 'cancel view' -Image $image | Stop-SeedreamJob -PassThru -Confirm:$false -WarningAction SilentlyContinue
        Show $cancel | Should -Match 'CancellationRequested|AlreadyCompleted'
    }

    It 'shows an upload''s file name and URL' {
        $file = Send-SeedreamFile -LiteralPath $image
        $text = Show $file
        $text | Should -Match 'view\.png'
        $text | Should -Match 'image/png'
    }

    It 'shows a webhook verdict''s reason by name' {
        $verdict = Test-SeedreamWebhookSignature -Headers @{} -Body '{}' -JwksUrl "$($emulator.Url)/.well-known/jwks.json"
        Show $verdict | Should -Match 'False\s+MissingHeader'
    }
}
