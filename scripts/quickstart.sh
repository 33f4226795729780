#!/usr/bin/env bash
# Sets up Agora on a fresh machine and runs the main job on the default local model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
swift build -c release
agora=.build/release/agora
$agora model setup >/dev/null          # about 8 minutes the first time, instant after
$agora model check --model local
