#!/usr/bin/env bash
# `make package`: cross-compiles every function for Lambda (release, arm64, zipped) and
# prints each zip's size (target < 8 MB) and a local cold-start figure (target < 50 ms).
#
#   infra/package.sh           Cargo.toml's release profile (fat LTO, one codegen unit): what
#                              `sam build` deploys. On two cores: one fat-LTO link per function.
#   infra/package.sh --thin    the release profile without LTO and with 16 codegen units, as
#                              scripts/lambda-check.sh builds health: reuses that check's
#                              compiled dependencies, so it takes minutes; zips are somewhat
#                              larger than fat LTO's (an upper bound for them).
#
# Zips: $AUSTER_CACHE/target-lambda/lambda/<bin>/bootstrap.zip (the arm64 builds' persistent
# target dir, shared with scripts/lambda-check.sh), ready for
# `aws lambda update-function-code` (docs/deployment.md). The cold start is measured on
# this machine's architecture (an arm64 binary cannot run here): the same code built
# for the host in release mode (Cargo.toml's profile), started fresh per trial behind
# cargo-lambda's runtime API emulator, against a moto store, from process start to the
# first answered event.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export PATH="$AUSTER_VENV/bin:$PATH"
command -v cargo-lambda >/dev/null || { echo "cargo-lambda not found; run scripts/setup.sh" >&2; exit 1; }
mode="fat LTO, 1 codegen unit (Cargo.toml)"
thin=()
case "${1:-}" in
  --thin) mode="thin: no LTO, 16 codegen units"
          thin=(CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16) ;;
  "") ;;
  *) echo "usage: $0 [--thin]" >&2; exit 2 ;;
esac
lambda_target="$AUSTER_CACHE/target-lambda"

printf '\n== cargo lambda build --release --arm64 (all functions; %s)\n' "$mode"
t0=$SECONDS
env ${thin[@]+"${thin[@]}"} CARGO_TARGET_DIR="$lambda_target" \
  cargo lambda build --quiet --release --arm64 -p auster-functions --output-format zip
echo "built in $((SECONDS - t0)) s"

printf '\n== zipped sizes (target < 8 MiB)\n'
over=0
total=0
for bin in functions/src/bin/*.rs; do
  name=$(basename "$bin" .rs)
  zip="$lambda_target/lambda/$name/bootstrap.zip"
  [ -f "$zip" ] || { echo "missing $zip" >&2; exit 1; }
  bytes=$(stat -c %s "$zip")
  total=$((total + bytes))
  flag=""
  [ "$bytes" -lt $((8 * 1024 * 1024)) ] || { flag="  OVER 8 MiB"; over=1; }
  printf '%-18s %6.2f MiB%s\n' "$name" "$(echo "$bytes / 1048576" | bc -l)" "$flag"
done
printf '%-18s %6.2f MiB\n' "all" "$(echo "$total / 1048576" | bc -l)"

printf '\n== local cold start (host release build, runtime API emulator, moto store)\n'
cargo build --quiet --release -p auster-functions --bin health --bin list-models
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 300); do curl -s -m 5 -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "nothing answered at $1" >&2; exit 1
}
moto_port=$(port)
setsid moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$moto_port/moto-api/"
export AUSTER_STORE=aws AUSTER_TABLE=auster-package AUSTER_BUCKET=auster-package AUSTER_DATA=bundled \
  AUSTER_DATASETS="$PWD/seeds/data" AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=moto AWS_SECRET_ACCESS_KEY=moto RUST_LOG=warn
cargo build --quiet -p auster-cli
"$CARGO_TARGET_DIR/debug/auster" store init >/dev/null
"$CARGO_TARGET_DIR/debug/auster" seed >/dev/null
emu_port=$(port)
setsid cargo lambda watch --only-lambda-apis --ignore-changes --quiet -p auster-functions \
  -A 127.0.0.1 -P "$emu_port" >"$work/emu.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$emu_port") 2>/dev/null && break; sleep 0.1; done
for spec in "health /api/health" "list-models /api/models"; do
  set -- $spec
  python3 infra/coldstart.py --emulator "127.0.0.1:$emu_port" --binary "$CARGO_TARGET_DIR/release/$1" \
    --name "$1" --path "$2" --trials 5
done
[ "$over" -eq 0 ] || { echo "some zips are over 8 MiB" >&2; exit 1; }
