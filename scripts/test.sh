#!/usr/bin/env bash
# npm test: the whole suite — unit, real-kernel integration, realtime (vitest projects), then the
# Playwright e2e in Debian's Chromium against the real server. Needs root (it builds real namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NEXT_TELEMETRY_DISABLED=1 NSPLAY_BUILT=1
npx vitest run
npx playwright test
