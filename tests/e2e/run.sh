#!/usr/bin/env bash
# Browser suite: builds web/dist, starts a real `auster serve` on a free loopback port with a
# throw-away AUSTER_HOME (seed models load on first start), and runs suite.mjs in Debian's
# Chromium. Screenshots go to tests/output/screenshots/, figures to tests/output/e2e-figures.json.
# Exit status is the suite's. Called by tests/run.
#
#   AUSTER_BIN=/path/to/auster tests/e2e/run.sh     use a given binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh

tests/e2e/setup.sh
scripts/build-web.sh

bin="${AUSTER_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet -p auster-cli
  bin="$CARGO_TARGET_DIR/release/auster"
fi
if ! "$bin" serve --help >/dev/null 2>&1; then
  echo "e2e: '$bin serve' is not available; the browser suite needs the HTTP server (issue 5)."
  exit 1
fi

home=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
out=tests/output
mkdir -p "$out/screenshots"
rm -f "$out"/screenshots/*.png
AUSTER_HOME="$home" AUSTER_STORE=sqlite AUSTER_DATA=bundled \
  "$bin" serve --addr "127.0.0.1:$port" --web-dir web/dist > "$out/e2e-server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "e2e: auster serve exited early; its log:"; cat "$out/e2e-server.log"; exit 1
  fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null || { echo "e2e: server not healthy"; cat "$out/e2e-server.log"; exit 1; }

AUSTER_URL="http://127.0.0.1:$port" SCREENSHOT_DIR="$out/screenshots" WEB_DIST=web/dist \
  NODE_PATH=tests/e2e/node_modules node tests/e2e/suite.mjs
