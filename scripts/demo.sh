#!/usr/bin/env bash
# make demo: start a local Temporal dev server; run a C worker with the seeds' sample
# (SampleWorkflow + hello_activity) and a workflow through it; run the C client smoke program;
# and show with the Temporal CLI (independent of our code) what happened.
# (The Lambda form of the sample, under AWS's Runtime Interface Emulator, comes with the
# Lambda runtime library.)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/temporal-c-demo.XXXXXX")
trap 'tests/harness/harness.sh stop "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"' EXIT

echo "== starting a Temporal dev server (temporal server start-dev, in memory) =="
TEMPORAL_C_HARNESS_MINIMAL=1 tests/harness/harness.sh start "$STATE"
ADDRESS=$(cat "$STATE/address")

echo "== a C worker runs SampleWorkflow and hello_activity =="
"$BUILD/examples/hello_worker" "$ADDRESS" "C developer" | tee "$STATE/worker.out"
HELLO=$(sed -n 's/^started SampleWorkflow \([^ ]*\)$/\1/p' "$STATE/worker.out")
echo "== the history of $HELLO, as the Temporal CLI shows it =="
.venv/bin/temporal workflow show --address "$ADDRESS" -w "$HELLO"

echo "== running the C client against $ADDRESS =="
"$BUILD/examples/client_smoke" "$ADDRESS" default | tee "$STATE/smoke.out"

WF=$(sed -n 's/^started workflow \([^ ]*\) .*/\1/p' "$STATE/smoke.out")
echo "== what the Temporal CLI sees of $WF =="
.venv/bin/temporal workflow describe --address "$ADDRESS" -w "$WF"
