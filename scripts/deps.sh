#!/usr/bin/env bash
# Installs the Debian packages Loom builds against, if any is missing (needs root or sudo).
set -euo pipefail
# binutils: ld.gold, which swiftc links with (the fuzz harness too, with the toolchain's sanitizer runtimes).
pkgs=(libopenblas-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libpng-dev libturbojpeg0-dev libsqlite3-dev pkg-config binutils)
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

# scripts/fuzz.sh needs libFuzzer and AddressSanitizer from the Swift toolchain's own clang runtime (swift.org's Linux
# toolchains ship them; a distribution's libclang-rt package would not be found by swiftc). Say so before a build fails.
resource=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/clang
if ! compgen -G "$resource/*/lib/linux/libclang_rt.fuzzer-$(uname -m).a" >/dev/null; then
    echo "warning: no libclang_rt.fuzzer in $resource/*/lib/linux: this Swift toolchain cannot build the fuzz" \
         "harness (scripts/fuzz.sh); install a swift.org toolchain for Linux" >&2
fi
