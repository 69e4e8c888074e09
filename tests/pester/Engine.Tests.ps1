#Requires -Version 7.2
# Pester 5. The cmdlet engine in real pwsh: a slow consumer holds the workers back (no more than
# -ThrottleLimit records in flight, no pile of finished results), and Ctrl+C stops and waits for
# every worker, Send-SeedreamFile's uploads included. The emulator's counters are the witness.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:dataUri = "data:image/png;base64,$PngBase64"

    # An image server on loopback that answers after a delay: the edit that uses it is slow.
    function script:Start-SlowImageServer {
        param([int] $DelayMs)
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start()
        $port = $probe.LocalEndpoint.Port
        $probe.Stop()
        $listener = [System.Net.HttpListener]::new()
        $listener.Prefixes.Add("http://127.0.0.1:$port/")
        $listener.Start()
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Listener, [byte[]] $Png, [int] $DelayMs)
                while ($Listener.IsListening) {
                    try { $context = $Listener.GetContext() } catch { break }
                    Start-Sleep -Milliseconds $DelayMs
                    $context.Response.ContentType = 'image/png'
                    $context.Response.OutputStream.Write($Png, 0, $Png.Length)
                    $context.Response.Close()
                }
            }).AddArgument($listener).AddArgument([Convert]::FromBase64String($PngBase64)).AddArgument($DelayMs)
        [pscustomobject]@{ Listener = $listener; PowerShell = $ps; Handle = $ps.BeginInvoke(); Url = "http://127.0.0.1:$port/slow.png" }
    }

    function script:Stop-SlowImageServer {
        param($Server)
        if ($Server) {
            try { $Server.Listener.Close() } catch { }
            $Server.PowerShell.Dispose()
        }
    }
}

Describe 'A slow consumer' {
    BeforeAll {
        # Many runners and a short model time: only the module can hold the edits back.
        $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 30 -Runners 16
        Connect-TestEmulator $emulator
        $script:slow = Start-SlowImageServer -DelayMs 2000
    }

    AfterAll {
        Disconnect-Seedream
        Stop-TestEmulator $emulator
        Stop-SlowImageServer $slow
    }

    # -Ordered with a slow first edit: results that finish early must wait for it, and must hold
    # their places in the throttle while they wait rather than let further edits start.
    It 'keeps at most -ThrottleLimit + 1 of 40 edits ahead of a consumer taking 200 ms each (<Name>)' -TestCases @(
        @{ Name = 'as they complete'; Ordered = $false; SlowFirst = $false }
        @{ Name = '-Ordered, slow first edit'; Ordered = $true; SlowFirst = $true }
    ) {
        $throttle = 4
        $rows = 1..40 | ForEach-Object { [pscustomobject]@{ Prompt = "row $_"; Image = $dataUri } }
        if ($SlowFirst) { $rows[0].Image = $slow.Url }
        $before = (Get-EmulatorStats $emulator).submitted
        $consumed = 0
        $ahead = [System.Collections.Generic.List[int]]::new()

        $rows | Invoke-SeedreamEdit -ThrottleLimit $throttle -Ordered:$Ordered | ForEach-Object {
            # Edits fal has received that the consumer has not finished with (this one included),
            # read as the object arrives and again when the consumer is done with it.
            $ahead.Add((Get-EmulatorStats $emulator).submitted - $before - $consumed)
            Start-Sleep -Milliseconds 200
            $ahead.Add((Get-EmulatorStats $emulator).submitted - $before - $consumed)
            $consumed++
        }

        $consumed | Should -Be 40
        (Get-EmulatorStats $emulator).submitted - $before | Should -Be 40
        $most = ($ahead | Measure-Object -Maximum).Maximum
        $most | Should -BeLessOrEqual ($throttle + 1)
        # Stricter, and what the engine promises: a record is in flight until its result has been
        # written, and at most -ThrottleLimit are in flight (the one the consumer holds included).
        $most | Should -BeLessOrEqual $throttle -Because "a result being consumed still holds its place (seen: $($ahead -join ','))"
        # The consumer, not the throttle alone, set the pace: edits stayed ahead of it all along.
        ($ahead | Measure-Object -Minimum).Minimum | Should -BeGreaterOrEqual 1
    }
}

Describe 'Ctrl+C on Send-SeedreamFile' {
    BeforeAll {
        # 200 KB/s per upload: each 256 KB file takes over a second, so uploads are moving when stopped.
        $script:emulator = Start-TestEmulator -Key 'k' -ExtraArgument '--upload-bytes-per-sec', '200000'
        $script:bulk = Join-Path $TestDrive 'bulk'
        $null = New-Item -ItemType Directory -Path $bulk
        $random = [System.Random]::new(13)
        $bytes = [byte[]]::new(256KB)
        foreach ($i in 1..24) {
            $random.NextBytes($bytes)
            [System.IO.File]::WriteAllBytes((Join-Path $bulk ('part{0:00}.bin' -f $i)), $bytes)
        }
    }

    AfterAll { Stop-TestEmulator $emulator }

    It 'returns within 2 seconds and no upload continues afterwards' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Manifest, $Key, $Proxy, $Folder) Import-Module $Manifest; Connect-Seedream -ApiKey $Key -ProxyUrl $Proxy -RetryDelayMilliseconds 10; Get-ChildItem $Folder | Send-SeedreamFile -ThrottleLimit 4')
        $null = $ps.AddArgument($ManifestPath).AddArgument($emulator.Key).AddArgument($emulator.ProxyUrl).AddArgument($bulk)
        $handle = $ps.BeginInvoke()
        # Four done, the next four on the wire.
        Wait-Condition { (Get-EmulatorStats $emulator).uploads -ge 4 } -TimeoutSec 30 -Because 'the first uploads to complete'

        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(5)) | Should -BeTrue
        $clock.Stop()
        $atStop = Get-EmulatorStats $emulator

        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $atStop.uploads | Should -BeLessThan 24
        # Nothing the stopped command started may reach the server or complete later.
        Start-Sleep -Seconds 2
        $after = Get-EmulatorStats $emulator
        $after.uploads | Should -Be $atStop.uploads
        $after.requestsByRoute.'storage.initiate' | Should -Be $atStop.requestsByRoute.'storage.initiate'
        $after.requestsByRoute.'storage.put' | Should -Be $atStop.requestsByRoute.'storage.put'
        $ps.Dispose()
    }

    It 'stops a big file''s multipart upload within 2 seconds, with no part stored afterwards' {
        # Over the 90 MB multipart threshold; at 200 KB/s its first 10 MB part is still moving when stopped.
        $big = Join-Path $TestDrive 'big.bin'
        $stream = [System.IO.File]::Create($big)
        $stream.SetLength(91MB)
        $stream.Dispose()
        $before = Get-EmulatorStats $emulator
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Manifest, $Key, $Proxy, $File) Import-Module $Manifest; Connect-Seedream -ApiKey $Key -ProxyUrl $Proxy -RetryDelayMilliseconds 10; Send-SeedreamFile -LiteralPath $File -WarningAction SilentlyContinue')
        $null = $ps.AddArgument($ManifestPath).AddArgument($emulator.Key).AddArgument($emulator.ProxyUrl).AddArgument($big)
        $handle = $ps.BeginInvoke()
        Wait-Condition { [int](Get-EmulatorStats $emulator).requestsByRoute.'storage.part' -gt [int]$before.requestsByRoute.'storage.part' } -TimeoutSec 30 -Because 'the first part to be on the wire'
        Start-Sleep -Milliseconds 300

        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(5)) | Should -BeTrue
        $clock.Stop()
        $atStop = Get-EmulatorStats $emulator

        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2
        Start-Sleep -Seconds 2
        $after = Get-EmulatorStats $emulator
        $after.uploadParts | Should -Be $before.uploadParts
        $after.multipartUploads | Should -Be $before.multipartUploads
        $after.requestsByRoute.'storage.part' | Should -Be $atStop.requestsByRoute.'storage.part'
        $ps.Dispose()
    }
}
