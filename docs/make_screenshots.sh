#!/usr/bin/env bash
# Regenerates the README's screenshots with bpgui's own screenshot command.
set -euo pipefail
cd "$(dirname "$0")/.."
bpgui screenshot -o docs/window.png --size 1100x700
