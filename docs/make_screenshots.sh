#!/usr/bin/env bash
# Regenerates the README's screenshots with bpgui's own screenshot command (no display needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bpgui screenshot -o docs/window.png --size 1280x800 --steps 300
