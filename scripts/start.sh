#!/usr/bin/env bash
# npm start: set up what is missing, then run the playground (one Node process: Next + socket.io).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NEXT_TELEMETRY_DISABLED=1
exec node --import tsx server/index.ts "$@"
