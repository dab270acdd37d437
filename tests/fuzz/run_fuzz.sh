#!/bin/sh
# Builds the libFuzzer target for the TOML parser with clang (ASan + UBSan) and runs it
# for a fixed time, seeded with tests/fuzz/corpus/toml.  Run by ctest as `fuzz_toml`.
#   run_fuzz.sh <clang> <source dir> <work dir> <seconds>
# New inputs go to <work dir>/corpus (kept between runs, so coverage accumulates) and
# crashing inputs to <work dir>/artifacts; the committed seed corpus is only read.
# Exits 77 (reported by ctest as skipped) when clang is not installed.
set -eu
clang=$1 src=$2 work=$3 secs=$4

if ! command -v "$clang" >/dev/null 2>&1; then
  echo "fuzz_toml: clang not found (scripts/install-deps.sh installs it); skipping"
  exit 77
fi
mkdir -p "$work/corpus" "$work/artifacts"
"$clang" -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
  -Wno-unused-parameter \
  -I"$src/include" -I"$src/src" \
  "$src/tests/fuzz/fuzz_toml.c" "$src/src/toml.c" -o "$work/fuzz_toml"
exec "$work/fuzz_toml" -max_total_time="$secs" -max_len=4096 -timeout=10 \
  -dict="$src/tests/fuzz/toml.dict" -artifact_prefix="$work/artifacts/" \
  -print_final_stats=1 "$work/corpus" "$src/tests/fuzz/corpus/toml"
