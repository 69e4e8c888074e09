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

Describe 'Receive-SeedreamWebhook' {
    It 'turns the delivery into the EditResult of the job, which Save-SeedreamImage saves as a PNG' {
        $out = Join-Path $TestDrive 'received'
        $result = Receive-SeedreamWebhook -Headers $delivery.Headers -Body $delivery.Text -JwksUrl $jwks
        $result.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $result.RequestId | Should -Be $job.RequestId
        $result.Endpoint | Should -Be 'fal-ai/bytedance/seedream/v5/lite/edit'

        $file = $result | Save-SeedreamImage -Destination $out
        $file | Should -HaveCount 1
        $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
        [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -Be 'PNG'
    }

    It 'takes a piped Azure Functions request by property name, reading RawBody rather than the parsed Body' {
        $request = [pscustomobject]@{ Headers = $delivery.Headers; Body = ($delivery.Text | ConvertFrom-Json -AsHashtable); RawBody = $delivery.Text }
        ($request | Receive-SeedreamWebhook -JwksUrl $jwks -Endpoint 'fal-ai/custom/app').Endpoint | Should -Be 'fal-ai/custom/app'
    }

    It 'takes a piped Azure Automation $WebhookData (RequestHeader, RequestBody)' {
        $webhookData = [pscustomobject]@{ WebhookName = 'fal'; RequestHeader = [pscustomobject]$delivery.Headers; RequestBody = $delivery.Text }
        ($webhookData | Receive-SeedreamWebhook -JwksUrl $jwks).RequestId | Should -Be $job.RequestId
    }

    It 'refuses a tampered body with SeedreamWebhookRejected naming BadSignature, and emits nothing' {
        $tampered = $delivery.Text -replace '"status"\s*:\s*"OK"', '"status":"ERROR"'
        $output = Receive-SeedreamWebhook -Headers $delivery.Headers -Body $tampered -JwksUrl $jwks -ErrorVariable problems -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookRejected')
        $problems[0].CategoryInfo.Category | Should -Be 'SecurityError'
        "$($problems[0])" | Should -Match 'BadSignature'
    }

    It 'refuses an old delivery with SeedreamWebhookStale' {
        $output = Receive-SeedreamWebhook -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks -Now ([datetimeoffset]::UtcNow.AddHours(1)) -ErrorVariable problems -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookStale')
        "$($problems[0])" | Should -Match 'StaleTimestamp'
    }

    It 'turns a genuine delivery of a failed request into SeedreamJobFailed for that request' {
        $failing = Start-WebhookReceiver
        try {
            $failed = Submit-SeedreamJob -Prompt 'cannot work' -Image 'https://example.com/missing.png' -WebhookUrl $failing.Url -WarningAction SilentlyContinue
            $errorDelivery = Receive-WebhookDelivery $failing
        }
        finally { Stop-WebhookReceiver $failing }
        $errorDelivery.Text | Should -Match '"status"\s*:\s*"ERROR"'

        $output = Receive-SeedreamWebhook -Headers $errorDelivery.Headers -Body $errorDelivery.Text -JwksUrl $jwks -ErrorVariable problems -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamJobFailed')
        $problems[0].TargetObject | Should -Be $failed.RequestId
        "$($problems[0])" | Should -Match 'Invalid status code'
    }

    It 'needs no API key' {
        $saved = Save-SeedreamEnvironment
        Disconnect-Seedream
        Clear-SeedreamEnvironment
        try { $result = Receive-SeedreamWebhook -Headers $delivery.Headers -Body $delivery.Body -JwksUrl $jwks }
        finally { Restore-SeedreamEnvironment $saved; Connect-TestEmulator $emulator }
        $result.RequestId | Should -Be $job.RequestId
    }
}
