#!/usr/bin/env bash
# Screenshots of a notebook's report for a human look: output/NAME-1280.png and output/NAME-390.png
# (desktop and phone widths, full page height up to 6000 px), with headless Chromium.
# Usage: scripts/screenshot.sh notebooks/study.md   (renders from the store first with `loom render`)
set -euo pipefail
cd "$(dirname "$0")/.."
notebook="${1:?usage: scripts/screenshot.sh NOTEBOOK.md}"
name="$(basename "$notebook" .md)"
html="output/$name.html"
command -v chromium >/dev/null || { echo "screenshot.sh: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
loom=".build/release/loom"; [ -x "$loom" ] || loom=".build/debug/loom"
[ -x "$loom" ] || { echo "screenshot.sh: build loom first (swift build -c release)" >&2; exit 1; }
"$loom" render "$notebook" >/dev/null
# Headless Chromium's window is at least 500 px wide, so the page is laid out in a frame of the
# exact width inside a wrapper page (the frame's page is the report itself, untouched).
wrapper="output/.$name-frame.html"
trap 'rm -f "$wrapper"' EXIT
for width in 1280 390; do
    printf '<!DOCTYPE html><html><body style="margin:0"><iframe src="%s" style="width:%spx;height:6000px;border:0"></iframe></body></html>\n' \
        "$name.html" "$width" > "$wrapper"
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
        --window-size="$(( width < 500 ? 500 : width )),6000" --screenshot="output/$name-$width.png" "file://$PWD/$wrapper" 2>/dev/null
    echo "output/$name-$width.png"
done
