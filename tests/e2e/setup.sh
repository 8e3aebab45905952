#!/usr/bin/env bash
# Installs what the browser suite needs, idempotently: Debian's Chromium (Playwright cannot
# download browsers here) and playwright-core into tests/e2e/node_modules.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (apt)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium
fi

command -v node >/dev/null || { echo "node is required for the browser suite (apt-get install nodejs npm)"; exit 1; }
want=$(node -e 'console.log(require("./package.json").dependencies["playwright-core"])')
have=$(node -e 'try{console.log(require("./node_modules/playwright-core/package.json").version)}catch(e){console.log("")}')
if [ "$have" != "$want" ]; then
  echo "== installing playwright-core $want (npm)"
  npm install --no-audit --no-fund --loglevel=error
fi
