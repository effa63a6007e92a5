#!/usr/bin/env bash
# Installs missing system packages, builds Loom (release) and renders the default notebook:
# notebooks/study.md → output/study.html (results in output/loom.sqlite). Extra arguments go to `loom run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build -c release --product loom
.build/release/loom run notebooks/study.md "$@"
