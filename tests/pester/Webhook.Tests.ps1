#Requires -Version 7.2
# Pester 5. Test-SeedreamWebhookSignature on a real delivery: a job submitted with -WebhookUrl, the
# emulator's signed POST taken by a loopback receiver, then checked in the shapes hosts hand it over.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:jwks = "$($emulator.Url)/.well-known/jwks.json"
    $script:receiver = Start-WebhookReceiver
    $image = (New-TestImage -Path (Join-Path $TestDrive 'hook.png')).FullName
    $script:job = Submit-SeedreamJob -Prompt 'webhook test' -Image $image -WebhookUrl $receiver.Url -WarningAction SilentlyContinue
    $script:delivery = Receive-WebhookDelivery $receiver
}

AfterAll {
    Stop-WebhookReceiver $script:receiver
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Test-SeedreamWebhookSignature' {
    It 'accepts the delivery for the job that was submitted' {
        $verdict = Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks

        $verdict.PSObject.TypeNames[0] | Should -Be 'Seedream.WebhookVerdict'
        $verdict.IsValid | Should -BeTrue
        "$($verdict.Reason)" | Should -Be 'Valid'
        $verdict.RequestId | Should -Be $job.RequestId
        $verdict.KeyId | Should -Be (Invoke-RestMethod $jwks).keys[0].kid
        (Get-EmulatorStats $emulator).webhooksDelivered | Should -BeGreaterOrEqual 1
    }

    It 'accepts the body as the string a host hands over (RawBody)' {
        (Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Text -JwksUrl $jwks).IsValid | Should -BeTrue
    }

    It 'accepts the headers as an object with one property per header (Azure Automation)' {
        $headerObject = [pscustomobject]$delivery.Headers
        (Test-SeedreamWebhookSignature -Headers $headerObject -Body $delivery.Text -JwksUrl $jwks).IsValid | Should -BeTrue
    }

    It 'accepts header names in any case' {
        $lower = @{}
        foreach ($name in $delivery.Headers.Keys) { $lower[$name.ToLowerInvariant()] = $delivery.Headers[$name] }
        (Test-SeedreamWebhookSignature -Headers $lower -Body $delivery.Body -JwksUrl $jwks).IsValid | Should -BeTrue
    }

    It 'accepts a delivery saved with Export-Clixml and checked later with -Now' {
        $path = Join-Path $TestDrive 'delivery.xml'
        [pscustomobject]@{ Headers = $delivery.Headers; Body = $delivery.Text; ReceivedAt = [datetime]::UtcNow } | Export-Clixml $path
        $logged = Import-Clixml $path

        $verdict = Test-SeedreamWebhookSignature -Headers $logged.Headers -Body $logged.Body -Now $logged.ReceivedAt -JwksUrl $jwks
        $verdict.IsValid | Should -BeTrue
    }

    It 'calls a changed body a BadSignature, still naming the request' {
        $tampered = $delivery.Text -replace '"status"\s*:\s*"OK"', '"status":"ERROR"'
        $tampered | Should -Not -Be $delivery.Text

        $verdict = Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $tampered -JwksUrl $jwks
        $verdict.IsValid | Should -BeFalse
        "$($verdict.Reason)" | Should -Be 'BadSignature'
        $verdict.RequestId | Should -Be $job.RequestId
    }

    It 'calls parsed-and-rewritten JSON a BadSignature or refuses it as not raw' {
        $rewritten = $delivery.Text | ConvertFrom-Json | ConvertTo-Json -Depth 10
        $rewritten | Should -Not -Be $delivery.Text
        $verdict = Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $rewritten -JwksUrl $jwks -ErrorAction SilentlyContinue
        $verdict.IsValid | Should -Not -BeTrue
    }

    It 'refuses a parsed body with SeedreamWebhookBodyNotRaw' {
        $parsed = $delivery.Text | ConvertFrom-Json
        Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $parsed -JwksUrl $jwks -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookBodyNotRaw')
    }

    It 'calls an old delivery a StaleTimestamp' {
        $verdict = Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks -Now ([datetimeoffset]::UtcNow.AddHours(1))
        $verdict.IsValid | Should -BeFalse
        "$($verdict.Reason)" | Should -Be 'StaleTimestamp'
    }

    It 'names the header that is missing' {
        $partial = @{} + $delivery.Headers
        $signatureName = @($partial.Keys) | Where-Object { $_ -match 'signature' }
        $partial.Remove($signatureName)

        $verdict = Test-SeedreamWebhookSignature -Headers $partial -Body $delivery.Body -JwksUrl $jwks
        $verdict.IsValid | Should -BeFalse
        "$($verdict.Reason)" | Should -Be 'MissingHeader'
        $verdict.MissingHeader | Should -Match 'signature'
    }

    It 'refuses a plain-http JWKS on a remote host with SeedreamWebhookJwksUrlInsecure' {
        Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Body -JwksUrl 'http://keys.example.com/jwks.json' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookJwksUrlInsecure')
    }

    It 'refuses missing headers with SeedreamWebhookHeadersMissing' {
        Test-SeedreamWebhookSignature -Headers $null -Body $delivery.Body -JwksUrl $jwks -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookHeadersMissing')
    }

    It 'refuses a -ToleranceSec outside 0-86400' {
        Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks -ToleranceSec 100000 -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookToleranceInvalid')
    }

    It 'needs no API key' {
        $saved = Save-SeedreamEnvironment
        Disconnect-Seedream
        Clear-SeedreamEnvironment
        try { $verdict = Test-SeedreamWebhookSignature -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks }
        finally { Restore-SeedreamEnvironment $saved; Connect-TestEmulator $emulator }
        $verdict.IsValid | Should -BeTrue
    }
}
