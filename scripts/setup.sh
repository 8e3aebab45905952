#!/usr/bin/env bash
# Installs what the build and the tests need, idempotently. Safe to re-run.
#   scripts/setup.sh run        what `make run` needs: Rust components (the web build script
#                               adds the wasm target and wasm-bindgen itself)
#   scripts/setup.sh [test]     everything the suites need: also the Python venv with the
#                               reference libraries, moto, cfn-lint, cargo-lambda, schemathesis,
#                               and the browser suite's Chromium and playwright-core
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step() { printf '\n== %s\n' "$*"; }

step "Rust toolchain components"
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first (https://rustup.rs)"; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

[ "${1:-test}" = "run" ] && exit 0

step "Python venv with the reference libraries ($AUSTER_VENV)"
if [ ! -x "$AUSTER_VENV/bin/python" ]; then
  python3 -m venv "$AUSTER_VENV"
fi
stamp="$AUSTER_VENV/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$AUSTER_VENV/bin/pip" install -q --upgrade pip
  "$AUSTER_VENV/bin/pip" install -q -r tests/requirements.txt
  echo "$want" > "$stamp"
else
  echo "up to date"
fi

step "cargo-lambda (venv) and the aarch64 Rust target for the arm64 Lambda build"
# cargo-lambda and ziglang (its cross-linker) come from tests/requirements.txt above.
PATH="$AUSTER_VENV/bin:$PATH" cargo lambda --version
"$AUSTER_VENV/bin/python" -m ziglang version | sed 's/^/zig /'
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu ||
  rustup target add aarch64-unknown-linux-gnu

step "Browser suite: Chromium and playwright-core"
tests/e2e/setup.sh
