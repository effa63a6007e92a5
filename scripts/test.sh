#!/usr/bin/env bash
# Installs missing system packages, then runs the whole test suite (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift test "$@"
