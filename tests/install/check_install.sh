#!/usr/bin/env bash
# Installs the library into a scratch prefix and builds a consumer program two ways: with
# pkg-config and with CMake's find_package(temporal).  Usage: check_install.sh BUILD_DIR SRC_DIR
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d "${TMPDIR:-/tmp}/temporal-c-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

# pkg-config (static linking needs the private dependencies too)
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c11 -Wall -Werror "$src/examples/client_smoke.c" -o "$prefix/smoke-pkgconfig" \
   $(pkg-config --cflags --libs --static temporal)
# (An invalid target: the program prints its banner, then fails at once.)
out=$("$prefix/smoke-pkgconfig" no-port 2>/dev/null || true)
[[ $out == "temporal-c "* ]] || { echo "pkg-config consumer did not run: $out"; exit 1; }

# CMake package
mkdir -p "$prefix/consumer"
cat >"$prefix/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(temporal 0.1 REQUIRED)
add_executable(smoke $src/examples/client_smoke.c)
target_link_libraries(smoke PRIVATE temporal::temporal)
CMAKE
cmake -S "$prefix/consumer" -B "$prefix/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer/build" >/dev/null
out=$("$prefix/consumer/build/smoke" no-port 2>/dev/null || true)
[[ $out == "temporal-c "* ]] || { echo "CMake consumer did not run: $out"; exit 1; }
echo "installed headers, libtemporal.a, temporal.pc and the CMake package: both consumers build and run"
