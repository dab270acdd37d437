#!/usr/bin/env bash
# make demo: start a local Temporal dev server, run the C client smoke program against it,
# and show with the Temporal CLI (independent of our code) that the workflow is there.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
STATE=$(mktemp -d "${TMPDIR:-/tmp}/temporal-c-demo.XXXXXX")
trap 'tests/harness/harness.sh stop "$STATE" >/dev/null 2>&1 || true; rm -rf "$STATE"' EXIT

echo "== starting a Temporal dev server (temporal server start-dev, in memory) =="
TEMPORAL_C_HARNESS_MINIMAL=1 tests/harness/harness.sh start "$STATE"
ADDRESS=$(cat "$STATE/address")

echo "== running the C client against $ADDRESS =="
"$BUILD/examples/client_smoke" "$ADDRESS" default | tee "$STATE/smoke.out"

WF=$(sed -n 's/^started workflow \([^ ]*\) .*/\1/p' "$STATE/smoke.out")
echo "== what the Temporal CLI sees of $WF =="
.venv/bin/temporal workflow describe --address "$ADDRESS" -w "$WF"
