#!/usr/bin/env bash
# npm test: the whole suite — unit, real-kernel integration, realtime, and Playwright e2e in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NEXT_TELEMETRY_DISABLED=1
npx vitest run
npx playwright test
