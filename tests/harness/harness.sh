#!/usr/bin/env bash
# Integration-test harness for temporal-c.
#
#   harness.sh start STATE_DIR   start dev server + nginx TLS fronts + Python peer
#   harness.sh stop  STATE_DIR   stop everything recorded in STATE_DIR
#
# Everything listens on 127.0.0.1 only, on ports picked at random.  Files
# written to STATE_DIR (read them from tests):
#   address          host:port of the plain dev server (gRPC, no TLS)
#   tls_address      host:port of the nginx TLS front
#   mtls_address     host:port of the nginx mutual-TLS front
#   apikey_address   host:port of the nginx TLS + API-key front
#   api_key          the key the API-key front expects ("Bearer <key>")
#   py_task_queue    task queue served by tests/peers/py_worker.py
#   certs/           ca.pem ca.key server.pem server.key client.pem client.key
#                    other-ca.pem other-ca.key other-client.pem other-client.key
#   devserver.log nginx/error.log nginx/nginx.out pyworker.log   logs
#   devserver.pid nginx.pid pyworker.pid                         pids
#
# Env: TEMPORAL_C_HARNESS_MINIMAL=1 starts the dev server only (make demo);
#      TEMPORAL_C_VENV = venv with the temporal CLI and temporalio
#      (default: <repo>/.venv); TEMPORAL_C_NGINX = nginx binary (default: nginx).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
VENV=${TEMPORAL_C_VENV:-$REPO_DIR/.venv}
TEMPORAL=$VENV/bin/temporal
PYTHON=$VENV/bin/python
PY_WORKER=$REPO_DIR/tests/peers/py_worker.py
NGINX=${TEMPORAL_C_NGINX:-nginx}

log() { echo "harness: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The CLI must not pick up a developer's TEMPORAL_* env vars or config file.
tcli() { "$TEMPORAL" --disable-config-file --disable-config-env --command-timeout 10s "$@"; }

# ---------------------------------------------------------------- stopping --

# Is PID running (and not a zombie)?  Our own children linger as zombies.
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # drop "pid (comm) "; the state letter comes next
    [[ ${stat:0:1} != Z ]]
}

# Does PID still run a process whose command line contains PATTERN?
# (Guards against killing an unrelated process that reused a stale pid.)
pid_matches() {
    local pid=$1 pattern=$2
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# stop_one NAME PATTERN: TERM (then KILL) the process group recorded in
# STATE_DIR/NAME.pid.  Each daemon is started with setsid, so its pid is also
# its process-group id and this reaches its children too.
stop_one() {
    local name=$1 pattern=$2 pidfile=$STATE_DIR/$1.pid pid i
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && pid_matches "$pid" "$pattern"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do # up to 5 s
            pid_matches "$pid" "$pattern" || break
            sleep 0.1
        done
        if pid_matches "$pid" "$pattern"; then
            log "$name (pid $pid) ignored SIGTERM, sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
        # Sweep any stragglers left in the group (e.g. nginx workers).
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

do_stop() {
    # Worker first so it can shut down cleanly while the server is still up.
    stop_one pyworker py_worker.py
    stop_one nginx nginx
    stop_one devserver temporal
}

# ---------------------------------------------------------------- starting --

# Print N distinct free TCP ports on 127.0.0.1 (all bound at once, so distinct).
free_ports() {
    "$PYTHON" -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()' "$1"
}

# wait_tcp PORT SECONDS PID: wait until 127.0.0.1:PORT accepts connections;
# give up early if PID dies.
wait_tcp() {
    local port=$1 timeout=$2 pid=$3 i
    for ((i = 0; i < timeout * 10; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        alive "$pid" || return 1
        sleep 0.1
    done
    return 1
}

# Detach a daemon: own session/process group, no stdin, output to a log.
# In a non-interactive shell the background job is not a group leader, so
# setsid execs in place and $! is the daemon's own pid (== its pgid).
spawn() {
    local logfile=$1
    shift
    setsid "$@" </dev/null >"$logfile" 2>&1 &
    SPAWNED_PID=$!
}

# certs_make DIR: CA, server and client certs, plus an unrelated CA + client.
certs_make() {
    local d=$1
    rm -rf "$d" && mkdir -p "$d"
    (
        cd "$d"
        newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
        serial() { echo "0x$(openssl rand -hex 8)"; }

        # make_ca NAME CN
        make_ca() {
            newkey "$1.key"
            openssl req -x509 -new -key "$1.key" -sha256 -days 2 -subj "/CN=$2" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" \
                -addext "subjectKeyIdentifier=hash" \
                -out "$1.pem"
        }
        # make_leaf NAME CA CN EXTENSIONS...
        make_leaf() {
            local name=$1 ca=$2 cn=$3 ext
            shift 3
            newkey "$name.key"
            openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
            ext=$(printf '%s\n' "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature" \
                "authorityKeyIdentifier=keyid" "$@")
            openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
                -set_serial "$(serial)" -days 2 -sha256 \
                -extfile <(echo "$ext") -out "$name.pem" 2>/dev/null
            rm -f "$name.csr"
        }

        make_ca ca "temporal-c test CA"
        make_leaf server ca localhost \
            "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1"
        make_leaf client ca temporal-c-test-client "extendedKeyUsage=clientAuth"
        make_ca other-ca "temporal-c unrelated CA"
        make_leaf other-client other-ca temporal-c-other-client "extendedKeyUsage=clientAuth"
        chmod 600 ./*.key
    )
}

# nginx_conf: write STATE_DIR/nginx/nginx.conf (3 TLS fronts -> dev server).
nginx_conf() {
    local n=$STATE_DIR/nginx c=$STATE_DIR/certs user_line=""
    # As root, nginx would switch workers to "nobody", which may not be able
    # to reach STATE_DIR; keep them as root.  As non-root, omit the directive.
    if [[ $(id -u) == 0 ]]; then user_line="user root;"; fi
    rm -rf "$n" && mkdir -p "$n/tmp"
    # Rejections are HTTP 401 with an *empty* body (an empty static file;
    # "return 401" would send nginx's HTML page) plus grpc-status 16, so every
    # gRPC stack reports UNAUTHENTICATED instead of a body-parse error.
    mkdir -p "$n/html" && : >"$n/html/unauthenticated"
    cat >"$n/nginx.conf" <<EOF
# Generated by tests/harness/harness.sh -- TLS fronts for the dev server.
$user_line
daemon off;
worker_processes 1;
pid "$STATE_DIR/nginx.pid";
lock_file "$n/nginx.lock";
error_log "$n/error.log" warn;

events { worker_connections 1024; }

http {
    # The metadata a client sends (never the authorization header), for tests that
    # check what goes on the wire.
    log_format grpc_meta '\$server_port \$request_uri client-name="\$http_client_name" '
                         'client-version="\$http_client_version" '
                         'temporal-namespace="\$http_temporal_namespace" '
                         'test-tag="\$http_x_temporal_c_test"';
    access_log "$n/access.log" grpc_meta;
    client_body_temp_path "$n/tmp/body";
    proxy_temp_path "$n/tmp/proxy";
    fastcgi_temp_path "$n/tmp/fastcgi";
    uwsgi_temp_path "$n/tmp/uwsgi";
    scgi_temp_path "$n/tmp/scgi";

    # Applies to every server below.
    ssl_certificate "$c/server.pem";
    ssl_certificate_key "$c/server.key";
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 0;
    # Long polls last ~70 s; keep well above that.
    grpc_read_timeout 120s;
    grpc_send_timeout 120s;
    client_body_timeout 120s;
    keepalive_timeout 300s;
    # Default 1000 requests per connection, then GOAWAY; avoid that surprise.
    keepalive_requests 1000000;

    # TLS only
    server {
        listen 127.0.0.1:$TLS_PORT ssl http2;
        location / { grpc_pass grpc://127.0.0.1:$GRPC_PORT; }
    }

    # Mutual TLS: client cert must be signed by certs/ca.pem.  nginx does not
    # fail the handshake; it flags a missing/untrusted cert with its internal
    # codes 496/495 (normally sent as HTTP 400), turned into 401 here.
    server {
        listen 127.0.0.1:$MTLS_PORT ssl http2;
        ssl_verify_client on;
        ssl_client_certificate "$c/ca.pem";
        error_page 495 496 =401 /unauthenticated;
        location / { grpc_pass grpc://127.0.0.1:$GRPC_PORT; }
        location = /unauthenticated {
            internal;
            root "$n/html";
            default_type application/grpc;
            add_header grpc-status 16 always;
            add_header grpc-message "client certificate missing or not trusted" always;
        }
    }

    # TLS + API key: "authorization: Bearer <key>" required, else HTTP 401.
    server {
        listen 127.0.0.1:$APIKEY_PORT ssl http2;
        error_page 401 /unauthenticated;
        location / {
            if (\$http_authorization != "Bearer $API_KEY") { return 401; }
            grpc_pass grpc://127.0.0.1:$GRPC_PORT;
        }
        location = /unauthenticated {
            internal;
            root "$n/html";
            default_type application/grpc;
            add_header grpc-status 16 always;
            add_header grpc-message "missing or invalid API key" always;
        }
    }
}
EOF
}

nginx_fail() {
    log "nginx failed: $*"
    tail -n 30 "$STATE_DIR/nginx/nginx.out" "$STATE_DIR/nginx/error.log" >&2 2>/dev/null || true
    exit 1
}

do_start() {
    local t0=$SECONDS deadline port
    do_stop # idempotent: clear anything a previous run left behind
    # On any failure below, stop whatever was already started (logs stay).
    trap 'rc=$?; if ((rc != 0)); then log "start failed, stopping"; do_stop; fi' EXIT

    [[ -x $TEMPORAL ]] || die "temporal CLI not found at $TEMPORAL (set TEMPORAL_C_VENV)"
    [[ -x $PYTHON ]] || die "python not found at $PYTHON (set TEMPORAL_C_VENV)"
    command -v "$NGINX" >/dev/null || die "nginx not found"
    rm -f "$STATE_DIR"/{address,tls_address,mtls_address,apikey_address,api_key,py_task_queue}

    # --- TLS material
    certs_make "$STATE_DIR/certs"
    local c=$STATE_DIR/certs

    # --- dev server (in-memory).  Ports are picked free up front, but the server also
    # picks free ports of its own for its internal services, and the two can collide; a
    # server that dies while starting is therefore started again on new ports (4 tries).
    # enableCancelWorkerPollsOnShutdown: the server answers a worker's in-flight polls when
    # it calls ShutdownWorker (namespace capability worker_poll_complete_on_shutdown), the
    # modern shutdown path that loses no task; our workers then let polls drain.
    # The update, eager-start and search-attribute settings and the Custom*Field attributes
    # are those the temporalio/features scenarios expect of a server.
    # workflowIdReuseMinimalInterval (default 1 s) throttles continue-as-new
    # and quick re-use of a workflow id; 0 keeps such tests fast.
    local dev_pid attempt ready=""
    for attempt in 1 2 3 4; do
        read -r GRPC_PORT HTTP_PORT METRICS_PORT TLS_PORT MTLS_PORT APIKEY_PORT <<<"$(free_ports 6)"
        spawn "$STATE_DIR/devserver.log" "$TEMPORAL" --disable-config-file --disable-config-env \
            server start-dev --headless --ip 127.0.0.1 --port "$GRPC_PORT" \
            --http-port "$HTTP_PORT" --metrics-port "$METRICS_PORT" --log-level warn \
            --dynamic-config-value 'history.workflowIdReuseMinimalInterval="0s"' \
            --dynamic-config-value 'frontend.enableCancelWorkerPollsOnShutdown=true' \
            --dynamic-config-value 'system.forceSearchAttributesCacheRefreshOnRead=true' \
            --dynamic-config-value 'frontend.enableUpdateWorkflowExecution=true' \
            --dynamic-config-value 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true' \
            --dynamic-config-value 'system.enableEagerWorkflowStart=true' \
            --search-attribute CustomKeywordField=Keyword --search-attribute CustomIntField=Int \
            --search-attribute CustomTextField=Text --search-attribute CustomBoolField=Bool \
            --search-attribute CustomDoubleField=Double \
            --search-attribute CustomDatetimeField=Datetime \
            --search-attribute CustomKeywordListField=KeywordList
        echo "$SPAWNED_PID" >"$STATE_DIR/devserver.pid"
        dev_pid=$SPAWNED_PID
        deadline=$((SECONDS + 60))
        while alive "$dev_pid" && ((SECONDS < deadline)); do
            if tcli operator cluster health --address "127.0.0.1:$GRPC_PORT" >/dev/null 2>&1; then
                ready=1
                break
            fi
            sleep 0.2
        done
        [[ -n $ready ]] && break
        log "dev server did not become ready (try $attempt); log tail:"
        tail -n 15 "$STATE_DIR/devserver.log" >&2 || true
        stop_one devserver temporal
        ((SECONDS < deadline)) || break # a hang, not a crash: do not try again
    done
    [[ -n $ready ]] || exit 1
    echo "127.0.0.1:$GRPC_PORT" >"$STATE_DIR/address"
    if [[ -n ${TEMPORAL_C_HARNESS_MINIMAL:-} ]]; then
        echo "temporal dev server up on 127.0.0.1:$GRPC_PORT in $((SECONDS - t0)) s (pid $dev_pid)"
        return 0
    fi

    # --- Python peer worker (boots while nginx is being set up)
    local tq
    tq="py-peer-$(openssl rand -hex 6)"
    spawn "$STATE_DIR/pyworker.log" "$PYTHON" -u "$PY_WORKER" \
        --address "127.0.0.1:$GRPC_PORT" --namespace default --task-queue "$tq"
    echo "$SPAWNED_PID" >"$STATE_DIR/pyworker.pid"
    local py_pid=$SPAWNED_PID py_deadline=$((SECONDS + 60))

    # --- nginx TLS fronts
    API_KEY="tck_$(openssl rand -hex 16)"
    (umask 077 && echo "$API_KEY" >"$STATE_DIR/api_key")
    nginx_conf
    local nconf=$STATE_DIR/nginx/nginx.conf nerr=$STATE_DIR/nginx/error.log
    : >"$nerr"
    # (env -u NGINX: nginx reads $NGINX as a list of inherited listen sockets.)
    env -u NGINX "$NGINX" -t -q -p "$STATE_DIR/nginx" -e "$nerr" -c "$nconf" \
        >"$STATE_DIR/nginx/nginx.out" 2>&1 || nginx_fail "config test failed"
    spawn "$STATE_DIR/nginx/nginx.out" env -u NGINX "$NGINX" -p "$STATE_DIR/nginx" -e "$nerr" -c "$nconf"
    echo "$SPAWNED_PID" >"$STATE_DIR/nginx.pid" # nginx rewrites it with the same pid
    local ngx_pid=$SPAWNED_PID
    for port in "$TLS_PORT" "$MTLS_PORT" "$APIKEY_PORT"; do
        wait_tcp "$port" 10 "$ngx_pid" || nginx_fail "port $port not accepting connections"
    done

    # Prove each front really reaches the server with the intended credentials.
    tcli operator cluster health --address "127.0.0.1:$TLS_PORT" \
        --tls-ca-path "$c/ca.pem" >/dev/null || nginx_fail "TLS front health check"
    tcli operator cluster health --address "127.0.0.1:$MTLS_PORT" \
        --tls-ca-path "$c/ca.pem" --tls-cert-path "$c/client.pem" \
        --tls-key-path "$c/client.key" >/dev/null || nginx_fail "mTLS front health check"
    tcli operator cluster health --address "127.0.0.1:$APIKEY_PORT" \
        --tls-ca-path "$c/ca.pem" --api-key "$API_KEY" >/dev/null ||
        nginx_fail "API-key front health check"
    echo "127.0.0.1:$TLS_PORT" >"$STATE_DIR/tls_address"
    echo "127.0.0.1:$MTLS_PORT" >"$STATE_DIR/mtls_address"
    echo "127.0.0.1:$APIKEY_PORT" >"$STATE_DIR/apikey_address"

    # --- wait for the Python worker's ready line (max 60 s from its start)
    while true; do
        grep -q "py-peer worker ready on task queue $tq" "$STATE_DIR/pyworker.log" 2>/dev/null && break
        if ! alive "$py_pid" || ((SECONDS >= py_deadline)); then
            log "python peer worker did not become ready; log tail:"
            tail -n 40 "$STATE_DIR/pyworker.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    echo "$tq" >"$STATE_DIR/py_task_queue"

    cat <<EOF
temporal-c test harness up in $((SECONDS - t0)) s (state: $STATE_DIR)
  dev server   127.0.0.1:$GRPC_PORT   (pid $dev_pid, http $HTTP_PORT, metrics $METRICS_PORT)
  nginx TLS    127.0.0.1:$TLS_PORT   (pid $ngx_pid)
  nginx mTLS   127.0.0.1:$MTLS_PORT
  nginx apikey 127.0.0.1:$APIKEY_PORT   (key in $STATE_DIR/api_key)
  py peer      task queue $tq   (pid $py_pid)
  certs        $c
EOF
}

# -------------------------------------------------------------------- main --

[[ $# == 2 ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
case $1 in
start)
    mkdir -p "$2"
    STATE_DIR=$(cd "$2" && pwd)
    do_start
    ;;
stop)
    [[ -d $2 ]] || exit 0 # nothing was ever started there
    STATE_DIR=$(cd "$2" && pwd)
    do_stop
    ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
