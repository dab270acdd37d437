#!/bin/sh
# Runs the official TOML conformance suite (toml-test, pinned in scripts/install-deps.sh)
# against our decoder adapter, for TOML 1.0.0: every valid case must decode to the expected
# JSON and every invalid case must be rejected.  toml-test prints the pass counts and exits
# non-zero if any case fails.  Run by ctest as `toml_test_suite`.
#   run_toml_test.sh <toml-test binary> <toml_decoder binary>
# toml-test counts a decoder exit status of 1 as "rejected"; the test's environment gives
# the sanitizers other exit codes, so a sanitizer report can never pass as a rejection.
set -eu
toml_test=$1 decoder=$2
if [ ! -x "$toml_test" ]; then
  echo "toml_test_suite: $toml_test is missing; run scripts/install-deps.sh" >&2
  exit 1
fi
"$toml_test" version
exec "$toml_test" test -decoder="$decoder" -toml=1.0 -timeout=30s -color=never
