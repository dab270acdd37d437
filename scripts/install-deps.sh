#!/usr/bin/env bash
# Installs what temporal-c's build, tests and demo need, and nothing twice.
#   Debian packages (apt, by name; the upstream versions we build against are checked)
#   Python tools in the project-local virtualenv .venv (PyPI, exact pins)
#   toml-test, the TOML conformance suite, built with Go into .deps/bin (exact pin)
#   aws-lambda-rie, the Lambda Runtime Interface Emulator, built with Go into .deps/bin (exact pin)
#   otelcol-temporal-c-test, an OpenTelemetry Collector (tools/otelcol), built with Go into .deps/bin (exact pins)
# Safe to run any number of times; does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# package            upstream version expected   why
APT_PACKAGES=(
  "cmake              3.25"    # build
  "ninja-build        1."      # build
  "pkg-config         1."      # finds the C libraries
  "gcc                4:12"    # compiler
  "libgrpc-dev        1.51"    # gRPC C core: the transport
  "libprotobuf-c-dev  1.4"     # protobuf-c runtime for the generated Temporal API
  "protobuf-c-compiler 1.4"    # protoc-gen-c
  "protobuf-compiler  3.21"    # protoc, reads the descriptor set
  "libjansson-dev     2.14"    # JSON payloads, JSON in tests, Lambda log lines
  "libcurl4-openssl-dev 7.88"  # the Lambda Runtime API client (libtemporal_lambda)
  "libcmocka-dev      1.1"     # unit-test framework
  "valgrind           1:3.19"  # memcheck run of the client tests
  "nginx-light        1.22"    # TLS / mTLS / API-key terminator in front of the dev server in tests
  "openssl            3."      # makes the test certificates
  "ca-certificates    2"       # the system CA bundle
  "python3-venv       3."      # the project virtualenv
  "clang              1:14"    # libFuzzer build of the TOML parser (tests/fuzz)
  "libclang-rt-14-dev 1:14.0"  # libFuzzer and the sanitizer runtimes for clang
)

missing=()
for entry in "${APT_PACKAGES[@]}"; do
  read -r pkg _ <<<"$entry"
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for entry in "${APT_PACKAGES[@]}"; do
  read -r pkg want <<<"$entry"
  have=$(dpkg-query -W -f='${Version}' "$pkg")
  case "$have" in
    "$want"*) ;;
    *) echo "install-deps: $pkg is $have; temporal-c is built and tested against $want*" >&2
       exit 1 ;;
  esac
done

# Python virtualenv with the pinned tools.  A stamp records which requirements it holds.
VENV=.venv
REQ=tools/requirements.txt
want_stamp=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want_stamp" ]; then
  echo "install-deps: setting up $VENV from $REQ"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  echo "$want_stamp" > "$VENV/.requirements.sha256"
fi

# need_go WHAT: exits with a message unless Go is there to build WHAT.
need_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "install-deps: Go is needed to build $1 (https://go.dev/dl/)" >&2
    exit 1
  fi
}

# go_install NAME PACKAGE VERSION: builds PACKAGE@VERSION with `go install` into
# .deps/bin/NAME.  A stamp (.deps/NAME.version) records the version the binary was built from.
go_install() {
  local name=$1 pkg=$2 version=$3 stamp=.deps/$1.version
  if [ -x ".deps/bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  need_go "$name $version"
  echo "install-deps: building $name $version into .deps/bin"
  mkdir -p .deps/bin
  GOBIN="$PWD/.deps/bin" go install "$pkg@$version"
  echo "$version" > "$stamp"
}

# toml-test (github.com/toml-lang/toml-test), the conformance suite that the TOML parser is
# tested against (tests/toml).  v2.2.0 is the newest release on the Go module proxy
# (go list -m -versions github.com/toml-lang/toml-test/v2).
go_install toml-test github.com/toml-lang/toml-test/v2/cmd/toml-test v2.2.0

# aws-lambda-rie, AWS's Lambda Runtime Interface Emulator: the real Lambda Runtime API that
# the Lambda worker's tests and `make demo` run our `bootstrap` under.  The module has no
# tagged releases; this pseudo-version is the newest on the Go module proxy
# (go list -m -versions / @latest of github.com/aws/aws-lambda-runtime-interface-emulator).
go_install aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie \
  v0.0.0-20261030222936-bef5c4ba774d

# otelcol-temporal-c-test, an OpenTelemetry Collector with only the OTLP receiver and the file
# and debug exporters: the tests export metrics and traces to it and read back what it wrote
# (tests/otel).  The Go module proxy has no collector binary, so tools/otelcol is a small Go
# module of ours whose go.mod and go.sum pin every component; OTELCOL_VERSION is the core
# release they come from and must match tools/otelcol/go.mod.  A stamp records the version and
# the hash of the sources the binary was built from.
OTELCOL_VERSION=v0.165.0
OTELCOL_STAMP=.deps/otelcol-temporal-c-test.version
otelcol_want="$OTELCOL_VERSION $(cat tools/otelcol/go.mod tools/otelcol/go.sum tools/otelcol/main.go | sha256sum | cut -d' ' -f1)"
if [ ! -x .deps/bin/otelcol-temporal-c-test ] || [ "$(cat "$OTELCOL_STAMP" 2>/dev/null)" != "$otelcol_want" ]; then
  need_go "the OpenTelemetry Collector $OTELCOL_VERSION"
  if ! grep -q "^[[:space:]]*go.opentelemetry.io/collector/otelcol $OTELCOL_VERSION\$" tools/otelcol/go.mod; then
    echo "install-deps: tools/otelcol/go.mod does not pin go.opentelemetry.io/collector/otelcol $OTELCOL_VERSION" >&2
    exit 1
  fi
  echo "install-deps: building otelcol-temporal-c-test (OpenTelemetry Collector $OTELCOL_VERSION) into .deps/bin"
  mkdir -p .deps/bin
  go build -C tools/otelcol -mod=readonly -trimpath -buildvcs=false -ldflags='-s -w' \
    -o "$PWD/.deps/bin/otelcol-temporal-c-test" .
  echo "$otelcol_want" > "$OTELCOL_STAMP"
fi
