#!/usr/bin/env bash
# Installs missing system packages, builds Loom (release) and runs its main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build -c release --product loom
.build/release/loom bench "$@"
