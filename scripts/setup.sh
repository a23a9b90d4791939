#!/usr/bin/env bash
# Makes this machine ready for nsplay: root and network namespaces checked, missing Debian packages,
# npm dependencies, the Next build and the local container image — each only when missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 DEBIAN_FRONTEND=noninteractive

say() { printf '\033[1mnsplay setup:\033[0m %s\n' "$*"; }
fail() { printf 'nsplay: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "nsplay needs root: it creates network namespaces and veths. Run as root on a throwaway VM (or use docker-compose.yml)."
[ -e /proc/self/ns/net ] || fail "this kernel has no network namespaces (/proc/self/ns/net is missing); nsplay needs CONFIG_NET_NS."
if command -v unshare >/dev/null && ! unshare --net true 2>/dev/null; then
  fail "cannot create a network namespace here (unshare --net failed): in a container, run it privileged."
fi

# Debian packages
mapfile -t wanted < <(grep -v '^#' scripts/packages.txt | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing packages (${missing[*]}) and no apt-get to install them; install them by hand."
  say "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: again only when package-lock.json changed since the last install
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ -x node_modules/.bin/nsplay ] || node scripts/link-bin.mjs

# The web build: redo when any source the page is built from is newer than the last build.
if [ "${NSPLAY_SKIP_BUILD:-}" != 1 ]; then
  if [ ! -f .next/BUILD_ID ] || [ -n "$(find app components lib server/topology server/plan server/realtime/contract.ts next.config.js package-lock.json -newer .next/BUILD_ID -type f 2>/dev/null | head -1)" ]; then
    say "building the web app (next build)"
    npx next build >/tmp/nsplay-build.log 2>&1 || { tail -40 /tmp/nsplay-build.log >&2; fail "next build failed (log: /tmp/nsplay-build.log)"; }
  fi
fi

# The CLI bundle: bin/nsplay.js runs it while it matches the sources under server/, else loads them through tsx.
if ! node scripts/build-cli.mjs --check; then
  say "bundling the CLI (esbuild)"
  node scripts/build-cli.mjs --force >/dev/null || say "CLI bundle failed; nsplay runs from the sources through tsx (slower start)"
fi

# The local container image (busybox + a page naming the container); no registry needed.
bash scripts/build-image.sh
