#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it: builds the solution, runs every
# xUnit project (protocol client, emulator, module through the hosted PowerShell engine), the
# official-client compatibility suite when present, and Pester where pwsh exists. Ends with one
# "N passed, N failed" line summing everything that ran.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/.tmp/test-results"
rm -rf "$results"
mkdir -p "$results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== Building"
dotnet build Seedream.Module.sln -nologo -v minimal || { echo "0 passed, 1 failed"; exit 1; }

echo "== xUnit suites"
dotnet test Seedream.Module.sln --no-build -nologo --logger "trx" --results-directory "$results/xunit"
dotnet_status=$?

passed=0
failed=0
for trx in "$results"/xunit/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(echo "$counters" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$dotnet_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

if [ -f tests/compat/package.json ]; then
  echo "== Official fal JS client compatibility suite"
  emulator_dll="$root/src/Seedream.Emulator/bin/Debug/net10.0/Seedream.Emulator.dll"
  if (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error && EMULATOR_DLL="$emulator_dll" node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$results/compat.tap"); then :; fi
  p=$(grep -E '^# pass ' "$results/compat.tap" 2>/dev/null | grep -o '[0-9]*' | tail -n 1)
  f=$(grep -E '^# fail ' "$results/compat.tap" 2>/dev/null | grep -o '[0-9]*' | tail -n 1)
  if [ -z "$p" ] && [ -z "$f" ]; then f=1; echo "compat suite did not report results"; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
fi

echo "== Pester"
if command -v pwsh >/dev/null 2>&1; then
  # Real PowerShell: the Pester suite is the module's user-level contract. Its counts join the total;
  # a run that reports no counts (Pester missing, a crash) is one failure, never a pass.
  pwsh -NoProfile -File ./build.ps1 -Task Pester 2>&1 | tee "$results/pester.log"
  pester_status=${PIPESTATUS[0]}
  counts=$(sed 's/\x1b\[[0-9;]*m//g' "$results/pester.log" | grep -E '^Pester: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
  p=$(echo "$counts" | sed -E 's/^Pester: ([0-9]+) passed.*/\1/')
  f=$(echo "$counts" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  if [ -z "$counts" ]; then p=0; f=1; echo "Pester did not report results"; fi
  if [ "$pester_status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then f=1; fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
else
  echo "Pester: not run (pwsh is not installed on this machine; the Pester files in tests/pester run with ./build.ps1 -Task Test where it is)"
fi

echo "== Summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
