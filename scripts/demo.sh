#!/usr/bin/env bash
# make demo: the Lambda worker end to end, on this machine, in well under a minute.
#
#  1. Starts a local Temporal dev server (in memory, random loopback port).
#  2. Runs the example Lambda function (examples/hello-lambda, the `bootstrap` of a
#     provided.al2023 custom runtime built on libtemporal_lambda) under AWS's Runtime
#     Interface Emulator (RIE), which plays the Lambda service: a 15 s function timeout,
#     free loopback ports, a task queue of its own.
#  3. Invokes the function once: its worker polls as Worker Deployment Version
#     my-app/build-1, which registers that version; the Temporal CLI then makes it current.
#  4. Starts SampleWorkflow with the CLI, invokes the function again, and prints the
#     workflow's result ("Hello, Lambda!"), computed by the worker inside that invocation.
#  5. Shows what happened inside: the worker's JSON log lines and RIE's REPORT lines
#     (init duration, duration, billed duration).
#  6. Then the same sample on an ordinary long-running C worker (examples/hello_worker.c)
#     and the C client smoke program (examples/client_smoke.c), with the Temporal CLI's view.
# Everything it starts (server, RIE and its bootstrap) is stopped on exit, success or not.
# Usage: scripts/demo.sh [BUILD_DIR]   (make demo builds first, then runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BOOTSTRAP=$(cd "$BUILD/examples/hello-lambda" && pwd)/bootstrap
RIE=.deps/bin/aws-lambda-rie
TEMPORAL=.venv/bin/temporal
[[ -x $BOOTSTRAP ]] || { echo "demo: $BOOTSTRAP not built (run make demo)" >&2; exit 1; }
[[ -x $RIE ]] || { echo "demo: $RIE missing (run scripts/install-deps.sh)" >&2; exit 1; }

STATE=$(mktemp -d "${TMPDIR:-/tmp}/temporal-c-demo.XXXXXX")
RIE_PID=""
T0=$SECONDS

# The CLI must not pick up a developer's TEMPORAL_* variables or config file.
tcli() { "$TEMPORAL" --disable-config-file --disable-config-env "$@" </dev/null; }

# Does PID still run a command line containing PATTERN?  (Never signal a reused pid.)
pid_matches() {
    [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# RIE starts the bootstrap in a process group of its own, so stop both explicitly:
# TERM to RIE (it ends its runtime), then KILL whatever bootstrap child is left.
stop_rie() {
    [[ -n $RIE_PID ]] || return 0
    local kids kid i
    kids=$(pgrep -P "$RIE_PID" 2>/dev/null || true)
    if pid_matches "$RIE_PID" aws-lambda-rie; then
        kill -TERM "$RIE_PID" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            pid_matches "$RIE_PID" aws-lambda-rie || break
            sleep 0.1
        done
        pid_matches "$RIE_PID" aws-lambda-rie && kill -KILL "$RIE_PID" 2>/dev/null || true
    fi
    for kid in $kids; do
        pid_matches "$kid" "$BOOTSTRAP" && kill -KILL "$kid" 2>/dev/null || true
    done
    RIE_PID=""
}

cleanup() {
    local job
    for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done # a pending curl
    stop_rie
    tests/harness/harness.sh stop "$STATE" >/dev/null 2>&1 || true
    rm -rf "$STATE"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# invoke OUT: one invocation through RIE, as the Lambda service would make it; RIE answers
# when the invocation is over: "null" on success, a JSON error object on failure.
invoke() {
    curl -sS -m 60 -XPOST "http://127.0.0.1:$RIE_PORT/2015-03-31/functions/function/invocations" \
        -d '{}' </dev/null >"$1" 2>&1 || echo "curl failed: $?" >>"$1"
}

# The worker's JSON log lines (those RIE passes through from the bootstrap's stderr),
# one short line each: time, level, message, then the fields that matter here.
show_worker_log() {
    grep '^{' "$STATE/rie.log" | jq -r '
        [(.timestamp[11:23]), .level, .message] +
        ([to_entries[] | select(.key | IN("timestamp", "level", "message", "requestId") | not)
          | "\(.key)=\(.value)"]) | join("  ")' 2>/dev/null ||
        grep '^{' "$STATE/rie.log"
}

echo "== starting a Temporal dev server (temporal server start-dev, in memory) =="
TEMPORAL_C_HARNESS_MINIMAL=1 tests/harness/harness.sh start "$STATE"
ADDRESS=$(cat "$STATE/address")

# ------------------------------------------------------------------ the Lambda worker --
TASK_QUEUE="hello-lambda-demo-$(date +%s)-$$"
RIE_PORT=$(free_port)
API_PORT=$(free_port)
while [[ $API_PORT == "$RIE_PORT" ]]; do API_PORT=$(free_port); done

echo
echo "== the Lambda function: $BOOTSTRAP under the Runtime Interface Emulator =="
echo "   (function timeout 15 s, emulator on 127.0.0.1:$RIE_PORT, task queue $TASK_QUEUE)"
# The function sees only what a deployed one would be given: TEMPORAL_* variables in its
# configuration (here: the dev server and the task queue), no developer config file.
(
    for v in $(compgen -e | grep '^TEMPORAL_' || true); do unset "$v"; done
    export AWS_LAMBDA_FUNCTION_TIMEOUT=15 TEMPORAL_ADDRESS="$ADDRESS" TEMPORAL_NAMESPACE=default
    export TEMPORAL_TASK_QUEUE="$TASK_QUEUE" TEMPORAL_CONFIG_FILE="$STATE/no-temporal.toml"
    exec setsid "$RIE" --runtime-interface-emulator-address "127.0.0.1:$RIE_PORT" \
        --runtime-api-address "127.0.0.1:$API_PORT" "$BOOTSTRAP" </dev/null >"$STATE/rie.log" 2>&1
) &
RIE_PID=$!
for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$RIE_PORT") 2>/dev/null && break
    kill -0 "$RIE_PID" 2>/dev/null || { cat "$STATE/rie.log"; exit 1; }
    sleep 0.1
done

echo "== invocation 1: the worker polls as my-app/build-1, which registers that version =="
invoke "$STATE/invoke1.out" &
INVOKE_PID=$!
# The version exists once the worker has polled; make it current (retry until it exists).
for ((i = 0; ; i++)); do
    if tcli worker deployment set-current-version --address "$ADDRESS" \
        --deployment-name my-app --build-id build-1 -y >"$STATE/set-current.out" 2>&1; then
        echo "   my-app/build-1 is now the current version of deployment my-app"
        break
    fi
    ((i < 60)) || { cat "$STATE/set-current.out" "$STATE/rie.log"; exit 1; }
    sleep 0.25
done
wait "$INVOKE_PID"
echo "   invocation 1 returned: $(cat "$STATE/invoke1.out")"

WF="hello-lambda-$(date +%s)-$$"
echo "== starting SampleWorkflow $WF on $TASK_QUEUE with the CLI =="
tcli workflow start --address "$ADDRESS" --type SampleWorkflow --task-queue "$TASK_QUEUE" \
    -w "$WF" --input '"Lambda"' >/dev/null
echo "== invocation 2: the worker runs the workflow and its activity =="
invoke "$STATE/invoke2.out" &
INVOKE_PID=$!
RESULT=$(tcli --command-timeout 40s workflow result --address "$ADDRESS" -w "$WF" -o json |
    jq -c '.result // .')
echo "   result of $WF: $RESULT"
wait "$INVOKE_PID"
echo "   invocation 2 returned: $(cat "$STATE/invoke2.out")"
[[ $RESULT == '"Hello, Lambda!"' ]] || { echo "demo: unexpected result" >&2; exit 1; }

echo "== the worker's log (JSON lines on stderr, one per event; shortened here) =="
show_worker_log | sed 's/^/   /'
echo "== what RIE reported per invocation (as Lambda writes to CloudWatch) =="
grep -E '^REPORT' "$STATE/rie.log" | sed 's/^/   /'
stop_rie
echo "== Lambda part done in $((SECONDS - T0)) s =="

# ------------------------------------------------ the same sample on a plain C worker --
echo
echo "== a long-running C worker runs SampleWorkflow and hello_activity =="
"$BUILD/examples/hello_worker" "$ADDRESS" "C developer" | tee "$STATE/worker.out"
HELLO=$(sed -n 's/^started SampleWorkflow \([^ ]*\)$/\1/p' "$STATE/worker.out")
echo "== the history of $HELLO, as the Temporal CLI shows it =="
tcli workflow show --address "$ADDRESS" -w "$HELLO"

echo "== running the C client against $ADDRESS =="
"$BUILD/examples/client_smoke" "$ADDRESS" default | tee "$STATE/smoke.out"
WF=$(sed -n 's/^started workflow \([^ ]*\) .*/\1/p' "$STATE/smoke.out")
echo "== what the Temporal CLI sees of $WF =="
tcli workflow describe --address "$ADDRESS" -w "$WF"

echo
echo "== demo finished in $((SECONDS - T0)) s =="
