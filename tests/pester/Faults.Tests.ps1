#Requires -Version 7.2
# Pester 5. fal's two kinds of 502/504 on every route, and the one loss that stays ambiguous.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    # A quarter of all requests get 502 or 504: half the ingress proxy's page (the request never
    # reached fal), half fal's own JSON error naming the request (a submit has created its job).
    $script:gateway = Start-TestEmulator -Key 'k' -ProcessingMs 100 -ExtraArgument @(
        '--runners', '4', '--ping-ms', '100', '--fault-rate', '0.25', '--fault-kinds', '502,504', '--fault-seed', '6021')
    # Every answer comes after 3 s, beyond the client's 1 s timeout: a submit's job exists, its id never arrives.
    $script:silent = Start-TestEmulator -Key 'k' -ProcessingMs 100 -ExtraArgument @(
        '--fault-rate', '1', '--fault-kinds', 'slow', '--fault-slow-ms', '3000')
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'fault.png')).FullName
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:gateway
    Stop-TestEmulator $script:silent
}

Describe 'Gateway errors (502, 504) in both of fal''s shapes' {
    It 'delivers every edit once through ingress and server errors at submit, status, stream and result' {
        Connect-Seedream -ApiKey $gateway.Key -ProxyUrl $gateway.ProxyUrl -RetryDelayMilliseconds 20 -MaxRetryCount 8
        $rows = 1..24 | ForEach-Object { [pscustomobject]@{ Prompt = "gateway edit $_"; Image = $image } }

        # Half follow the status stream, half poll the status: both routes meet the faults.
        $streamed = $rows[0..11] | Invoke-SeedreamEdit -ThrottleLimit 8 -ErrorVariable streamErrors -ErrorAction SilentlyContinue
        $polled = $rows[12..23] | Invoke-SeedreamEdit -ThrottleLimit 8 -NoStream -ErrorVariable pollErrors -ErrorAction SilentlyContinue

        @($streamErrors) + @($pollErrors) | Should -HaveCount 0
        @($streamed) + @($polled) | ForEach-Object { $_.Images | Should -Not -BeNullOrEmpty }
        (@($streamed) + @($polled)).Prompt | Sort-Object | Should -Be ($rows.Prompt | Sort-Object)

        $stats = Get-EmulatorStats $gateway
        $stats.submitted | Should -Be 24         # no edit lost to an ingress error, none sent twice
        $stats.duplicateJobs | Should -Be 0
        foreach ($route in 'submit', 'status', 'stream', 'result') {
            foreach ($shape in 'ingress', 'server') {
                $stats.faultsInjected.byShape."$route.$shape" | Should -BeGreaterThan 0 -Because "$route.$shape must have been met"
            }
        }
    }
}

Describe 'A submit whose answer never arrives' {
    It 'is one error saying a job may exist and was not submitted twice' {
        Connect-Seedream -ApiKey $silent.Key -ProxyUrl $silent.ProxyUrl -TimeoutSec 1 -RetryDelayMilliseconds 20

        # Inline, so the submit is the first call (an upload would meet the silence first).
        $inline = 'data:image/png;base64,' + $PngBase64
        $result = Invoke-SeedreamEdit -Prompt 'lost answer' -Image $inline -ErrorVariable problems -ErrorAction SilentlyContinue

        $result | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId.Split(',')[0] | Should -Be 'SeedreamConnectionFailed'
        $problems[0].Exception.Message | Should -BeLike '*may have created a job*not submitted again*'
        $problems[0].Exception.Message | Should -Not -BeLike "*$($silent.Key)*"
        (Get-EmulatorStats $silent).submitted | Should -Be 1
    }
}
