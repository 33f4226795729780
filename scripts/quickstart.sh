#!/usr/bin/env bash
# Sets up Agora on a fresh machine and runs the main job on the default local model:
# a small survey (Scenarios/quick-survey.json) answered by sample personas, with its report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
swift build -c release
agora=.build/release/agora
$agora model setup >/dev/null          # about 8 minutes the first time, instant after
$agora model check --model local
# A run that finishes with some answers recorded as failed exits 1; that is a result, not an error here.
status=0
$agora run Scenarios/quick-survey.json --out runs || status=$?
if [ "$status" -gt 1 ]; then exit "$status"; fi
echo "Open the report: $(ls -d runs/quick-survey-*/ | tail -1)report.html"
