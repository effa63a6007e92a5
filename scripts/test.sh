#!/usr/bin/env bash
# Installs missing system packages, runs the whole test suite (debug build), then every fuzz target briefly.
# LOOM_FUZZ_SECONDS sets the fuzzing time per target (default 15; 0 skips fuzzing, e.g. while iterating locally).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift test "$@"
seconds=${LOOM_FUZZ_SECONDS:-15}
if [ "$seconds" != 0 ]; then
    # A crash, sanitizer report, timeout or runaway allocation in any target fails this script. Two targets at a
    # time: each fuzzer is one process, and this keeps the step near a minute on a two-core machine.
    LOOM_FUZZ_JOBS=${LOOM_FUZZ_JOBS:-2} bash scripts/fuzz.sh all "$seconds"
fi
