#!/usr/bin/env bash
# Installs the Debian packages Loom builds against, if any is missing (needs root or sudo).
set -euo pipefail
pkgs=(libopenblas-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libpng-dev libturbojpeg0-dev libsqlite3-dev pkg-config)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing: ${missing[*]}"
    $SUDO apt-get update
    $SUDO apt-get install -y "${missing[@]}"
fi
