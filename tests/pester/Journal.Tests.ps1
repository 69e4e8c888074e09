#Requires -Version 7.2
# Pester 5. Durable batches: -Journal makes a killed, stopped or finished batch rerunnable without paying twice.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'journal.png')).FullName
    $script:dataUri = "data:image/png;base64,$script:PngBase64"

    # Each test gets its own emulator, so /_emulator/stats counts only what the test did.
    function Start-JournalEmulator([int] $ProcessingMs = 200) {
        $emu = Start-TestEmulator -Key 'k' -ProcessingMs $ProcessingMs -Runners 8
        Connect-Seedream -ApiKey $emu.Key -ProxyUrl $emu.ProxyUrl -RetryDelayMilliseconds 10
        $emu
    }
    function New-Rows([int] $Count, [string] $Prefix = 'edit') {
        1..$Count | ForEach-Object { [pscustomobject]@{ Prompt = "$Prefix $_"; Image = $script:image } }
    }
}

AfterAll {
    Disconnect-Seedream
}

Describe 'Invoke-SeedreamEdit -Journal' {
    AfterEach { Stop-TestEmulator $script:emu }

    It 'replays a finished batch from the journal: same results, nothing submitted, nothing downloaded' {
        $script:emu = Start-JournalEmulator
        $journal = Join-Path $TestDrive 'finished.jsonl'
        $out = Join-Path $TestDrive 'finished-out'
        $first = New-Rows 5 | Invoke-SeedreamEdit -Journal $journal -OutFolder $out -ThrottleLimit 3
        $before = Get-EmulatorStats $emu

        $again = New-Rows 5 | Invoke-SeedreamEdit -Journal $journal -OutFolder $out -Ordered

        $after = Get-EmulatorStats $emu
        $after.submitted | Should -Be 5
        $after.requestsByRoute.file | Should -Be $before.requestsByRoute.file
        $again | Should -HaveCount 5
        $again[0].PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $again.Prompt | Should -Be (1..5 | ForEach-Object { "edit $_" })
        ($again.RequestId | Sort-Object) | Should -Be ($first.RequestId | Sort-Object)
        $again.Images.LocalPath | ForEach-Object { $_ | Should -Exist }
    }

    It 'previews a rerun with -WhatIf: journaled edits cost nothing, only new ones are counted' {
        $script:emu = Start-JournalEmulator
        $journal = Join-Path $TestDrive 'preview.jsonl'
        $null = New-Rows 3 | Invoke-SeedreamEdit -Journal $journal
        $before = Get-EmulatorStats $emu
        $journalBytes = [IO.File]::ReadAllBytes($journal)

        $text = Get-HostText { New-Rows 4 | Invoke-SeedreamEdit -Journal $journal -WhatIf }

        $text | Should -Match 'Replay the result from the journal \(nothing submitted, no cost\)'
        ([regex]::Matches($text, 'Replay the result from the journal')).Count | Should -Be 3
        $text | Should -Match ([regex]::Escape('"1 edit to submit (3 more already in the journal)"'))
        $text | Should -Match ([regex]::Escape('up to $0.035'))
        (Get-EmulatorStats $emu).submitted | Should -Be $before.submitted
        [IO.File]::ReadAllBytes($journal) | Should -Be $journalBytes -Because '-WhatIf only reads the journal'
    }

    It 'treats identical rows as separate edits and submits only changed rows again' {
        $script:emu = Start-JournalEmulator
        $journal = Join-Path $TestDrive 'identical.jsonl'
        $rows = 'same', 'same', 'other' | ForEach-Object { [pscustomobject]@{ Prompt = $_; Image = $image } }
        $first = $rows | Invoke-SeedreamEdit -Journal $journal
        ($first.RequestId | Sort-Object -Unique) | Should -HaveCount 3

        $rows[2].Prompt = 'other, edited'
        $second = $rows | Invoke-SeedreamEdit -Journal $journal

        (Get-EmulatorStats $emu).submitted | Should -Be 4
        @($second.RequestId | Where-Object { $_ -in $first.RequestId }) | Should -HaveCount 2
        $info = Get-SeedreamJournal $journal
        $info.Total | Should -Be 4
        $info.Completed | Should -Be 4
    }

    It 'finishes a batch killed with kill -9 half-way without paying twice' -Skip:$IsWindows {
        $script:emu = Start-JournalEmulator -ProcessingMs 300
        $journal = Join-Path $TestDrive 'killed.jsonl'
        $count = 30
        $throttle = 4
        $child = @"
Import-Module '$ManifestPath'
Connect-Seedream -ApiKey '$($emu.Key)' -ProxyUrl '$($emu.ProxyUrl)' -RetryDelayMilliseconds 10
`$rows = 1..$count | ForEach-Object { [pscustomobject]@{ Prompt = "edit `$_"; Image = '$dataUri' } }
`$rows | Invoke-SeedreamEdit -Journal '$journal' -ThrottleLimit $throttle | Out-Null
"@
        $script = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $script -Value $child
        $process = Start-Process -FilePath (Get-Process -Id $PID).Path -ArgumentList '-NoProfile', '-File', $script -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'child.out')
        Wait-Condition { (Get-EmulatorStats $emu).completed -ge ($count / 2) -or $process.HasExited } -TimeoutSec 60 -Because 'half the batch'
        $process.HasExited | Should -BeFalse -Because 'the kill must land mid-batch'
        & kill -9 $process.Id
        $process.WaitForExit()
        $atKill = Get-EmulatorStats $emu
        $atKill.submitted | Should -BeLessThan $count

        $left = Get-SeedreamJournal $journal
        $left.Submitting | Should -BeLessOrEqual $throttle
        # The same rows with the image inline, so an edit sent by both runs has the same body in both
        # (an upload would give each run its own URL) and the emulator can count it as a duplicate.
        $rows = 1..$count | ForEach-Object { [pscustomobject]@{ Prompt = "edit $_"; Image = $dataUri } }
        $results = $rows | Invoke-SeedreamEdit -Journal $journal -ThrottleLimit $throttle

        $results | Should -HaveCount $count
        ($results.Prompt | Sort-Object -Unique) | Should -HaveCount $count
        $end = Get-EmulatorStats $emu
        $end.submitted | Should -BeLessOrEqual ($count + $throttle)
        # Every prompt is distinct: a body that made two jobs is an edit paid twice; only those on the wire at the kill may be.
        $end.duplicateJobs | Should -BeLessOrEqual $left.Submitting
        $end.duplicateJobs | Should -Be ($end.submitted - $count)
        (Get-SeedreamJournal $journal).Completed | Should -Be $count
    }

    It 'keeps submitted jobs running on a -TimeoutSec and collects them on the rerun' {
        $script:emu = Start-JournalEmulator -ProcessingMs 3000
        $journal = Join-Path $TestDrive 'timeout.jsonl'
        Invoke-SeedreamEdit -Prompt 'slow' -Image $image -Journal $journal -TimeoutSec 1 -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamWaitTimeout'
        $problems[0].Exception.Message | Should -Match 'keeps running on fal'
        (Get-EmulatorStats $emu).requestsByRoute.PSObject.Properties['cancel'] | Should -BeNullOrEmpty

        $result = Invoke-SeedreamEdit -Prompt 'slow' -Image $image -Journal $journal
        $result.Images | Should -Not -BeNullOrEmpty
        (Get-EmulatorStats $emu).submitted | Should -Be 1
    }

    It 'refuses a journal in use by another command with SeedreamJournalInUse' {
        $script:emu = Start-JournalEmulator -ProcessingMs 1500
        $journal = Join-Path $TestDrive 'busy.jsonl'
        $job = Start-ThreadJob -ArgumentList $ManifestPath, $emu, $journal, $image -ScriptBlock {
            param($manifest, $emu, $journal, $image)
            Import-Module $manifest
            Connect-Seedream -ApiKey $emu.Key -ProxyUrl $emu.ProxyUrl
            1..2 | ForEach-Object { [pscustomobject]@{ Prompt = "busy $_"; Image = $image } } | Invoke-SeedreamEdit -Journal $journal
        }
        try {
            Wait-Condition { (Get-EmulatorStats $emu).submitted -ge 1 } -Because 'the first batch to start'
            { Invoke-SeedreamEdit -Prompt 'second' -Image $image -Journal $journal -ErrorAction Stop } |
                Should -Throw -ErrorId 'SeedreamJournalInUse,*'
        }
        finally {
            $done = $job | Wait-Job | Receive-Job
            $job | Remove-Job
        }
        $done | Should -HaveCount 2
        (Get-SeedreamJournal $journal).Completed | Should -Be 2
    }

    It 'refuses a damaged journal and a foreign file, and leaves both unchanged' {
        $script:emu = Start-JournalEmulator
        $journal = Join-Path $TestDrive 'damaged.jsonl'
        New-Rows 2 | Invoke-SeedreamEdit -Journal $journal | Out-Null
        $lines = Get-Content -LiteralPath $journal
        $lines[1] = '{"op":"subm'
        Set-Content -LiteralPath $journal -Value $lines
        $damaged = Get-Content -LiteralPath $journal -Raw

        { New-Rows 2 | Invoke-SeedreamEdit -Journal $journal -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamJournalDamaged,*'
        Get-Content -LiteralPath $journal -Raw | Should -Be $damaged

        $csv = Join-Path $TestDrive 'edits.csv'
        New-Rows 2 | Export-Csv -LiteralPath $csv
        $text = Get-Content -LiteralPath $csv -Raw
        { Submit-SeedreamJob -Prompt 'x' -Image $image -Journal $csv -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamJournalInvalid,*'
        Get-Content -LiteralPath $csv -Raw | Should -Be $text
        (Get-EmulatorStats $emu).submitted | Should -Be 2
    }
}

Describe 'Get-SeedreamJournal' {
    AfterEach { Stop-TestEmulator $script:emu }

    It 'reports counts by state and the entries, with views that fit 80 columns' {
        $script:emu = Start-JournalEmulator
        $journal = Join-Path $TestDrive 'report.jsonl'
        New-Rows 3 | Submit-SeedreamJob -Journal $journal | Out-Null

        $info = Get-SeedreamJournal -Path $journal
        $info.PSObject.TypeNames[0] | Should -Be 'Seedream.JournalInfo'
        $info.Version | Should -Be 1
        $info.Submitted | Should -Be 3
        $info.Entries | Should -HaveCount 3
        $info.Entries[0].PSObject.TypeNames[0] | Should -Be 'Seedream.JournalEntry'
        $info.Entries.RequestId | ForEach-Object { $_ | Should -Not -BeNullOrEmpty }
        $info | Out-String -Width 80 | Should -Match 'Submitted'
        $info.Entries | Out-String -Width 80 | Should -Match 'edit 1'

        # Submit again with the same journal: the same jobs, nothing new.
        $again = New-Rows 3 | Submit-SeedreamJob -Journal $journal
        ($again.RequestId | Sort-Object) | Should -Be ($info.Entries.RequestId | Sort-Object)
        (Get-EmulatorStats $emu).submitted | Should -Be 3
    }

    It 'says when the file does not exist' {
        $script:emu = $null
        Get-SeedreamJournal (Join-Path $TestDrive 'missing.jsonl') -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamJournalNotFound'
    }
}
