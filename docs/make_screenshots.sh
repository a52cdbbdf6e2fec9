#!/usr/bin/env bash
# Regenerates the README's pictures with bpgui's own screenshot command (no display needed; seeded, so the same
# pictures come out every time).
set -euo pipefail
cd "$(dirname "$0")/.."
circles=$(bpgui examples | awk '$1 == "circles" {print $2}')
bpgui screenshot -o docs/window.png --size 1280x800 --steps 300
bpgui screenshot -o docs/surface.png --view surface --size 640x520 --steps 300
bpgui screenshot "$circles" -o docs/boundary.png --view boundary --size 640x480 --steps 400
bpgui screenshot -o docs/step.png --view step --size 800x500 --steps 300
bpgui screenshot -o docs/plane_pca.png --view surface --size 800x560 --steps 400 --plane pca
bpgui screenshot -o docs/network.svg --view canvas --steps 300
