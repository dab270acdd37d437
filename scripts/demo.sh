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
BOOTSTRAP=$BUILD/examples/hello-lambda/bootstrap # the hello_lambda target
RIE=.deps/bin/aws-lambda-rie
TEMPORAL=.venv/bin/temporal
PY=.venv/bin/python # for JSON and HTTP below: nothing beyond what install-deps.sh sets up
[[ -x $BOOTSTRAP ]] || { echo "demo: $BOOTSTRAP not built (run make demo)" >&2; exit 1; }
[[ -x $RIE ]] || { echo "demo: $RIE missing (run scripts/install-deps.sh)" >&2; exit 1; }
BOOTSTRAP=$(realpath "$BOOTSTRAP") # RIE runs it from elsewhere; cleanup matches this path

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
    for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done # a pending invocation
    stop_rie
    tests/harness/harness.sh stop "$STATE" >/dev/null 2>&1 || true
    rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM PIPE

fail() {
    echo "demo: $*" >&2
    [[ -f $STATE/rie.log ]] && { echo "demo: the emulator's log:" >&2; tail -n 40 "$STATE/rie.log" >&2; }
    exit 1
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json EXPR: prints the Python expression EXPR over the JSON document on stdin (named d).
json() { "$PY" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# invoke OUT: one invocation through RIE, as the Lambda service would make it (a POST to the
# Invoke API); RIE answers when the invocation is over: null on success, else an error object.
invoke() {
    "$PY" - "http://127.0.0.1:$RIE_PORT/2015-03-31/functions/function/invocations" >"$1" 2>&1 <<'EOF' ||
import sys, urllib.error, urllib.request
try:
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], b"{}", method="POST"), timeout=60)
except urllib.error.HTTPError as e:
    r = e
print(r.read().decode())
EOF
        echo "(no answer from the emulator)" >>"$1"
}

# The worker's JSON log lines (those RIE passes through from the bootstrap's stderr),
# one line each: time, level, request id (its start, as in the REPORT lines), message, then
# the fields the message does not already say.
show_worker_log() {
    "$PY" - "$STATE/rie.log" <<'EOF'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    if not line.startswith("{"):
        continue
    try:
        e = json.loads(line)
    except ValueError:
        print(line, end="")
        continue
    m = e.get("message", "")
    out = [e.get("timestamp", "")[11:23], e.get("level", ""), e.get("requestId", "-")[:8], m]
    for k, v in e.items():
        if k in ("timestamp", "level", "message", "requestId"):
            continue
        if isinstance(v, str) and (v == "" or v in m):
            continue
        out.append(f"{k}={v}")
    print("  ".join(out))
EOF
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
    kill -0 "$RIE_PID" 2>/dev/null || fail "the Runtime Interface Emulator did not start"
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
    ((i < 60)) || fail "my-app/build-1 could not be made current: $(cat "$STATE/set-current.out")"
    sleep 0.25
done
wait "$INVOKE_PID"
echo "   invocation 1 returned: $(cat "$STATE/invoke1.out")"
[[ $(cat "$STATE/invoke1.out") == null ]] || fail "invocation 1 failed"

WF="hello-lambda-$(date +%s)-$$"
echo "== starting SampleWorkflow $WF on $TASK_QUEUE with the CLI =="
tcli workflow start --address "$ADDRESS" --type SampleWorkflow --task-queue "$TASK_QUEUE" \
    -w "$WF" --input '"Lambda"' >/dev/null
echo "== invocation 2: the worker runs the workflow and its activity =="
invoke "$STATE/invoke2.out" &
INVOKE_PID=$!
RESULT=$(tcli --command-timeout 40s workflow result --address "$ADDRESS" -w "$WF" -o json |
    json 'json.dumps(d.get("result", d))') || true
echo "   result of $WF: $RESULT"
wait "$INVOKE_PID"
echo "   invocation 2 returned: $(cat "$STATE/invoke2.out")"
[[ $RESULT == '"Hello, Lambda!"' ]] || fail "unexpected workflow result: $RESULT"
[[ $(cat "$STATE/invoke2.out") == null ]] || fail "invocation 2 failed"
# Who ran it, as the server recorded it: the version (PINNED to my-app/build-1) and the
# worker identity "<request id>@<function ARN>", i.e. invocation 2 in the REPORT lines below.
tcli workflow describe --address "$ADDRESS" -w "$WF" -o json | json '"   versioning: %s on %s" % (
    d["workflowExecutionInfo"]["versioningInfo"]["behavior"].replace("VERSIONING_BEHAVIOR_", ""),
    d["workflowExecutionInfo"]["versioningInfo"]["version"])'
tcli workflow show --address "$ADDRESS" -w "$WF" -o json | json '"   activity run by: " + [
    e["activityTaskStartedEventAttributes"]["identity"] for e in d["events"]
    if "activityTaskStartedEventAttributes" in e][0]'

echo "== the worker's log (JSON lines on stderr, one per event; shortened here) =="
show_worker_log | sed 's/^/   /'
echo "== what RIE reported per invocation (as Lambda writes to CloudWatch) =="
echo "   (each invocation polls until its deadline minus the 7 s shutdown buffer; the emulator"
echo "   measures neither Init Duration nor memory as Lambda does)"
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
