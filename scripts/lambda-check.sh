#!/usr/bin/env bash
# Deployment checks (issue 8), called by tests/run:
#   1. cfn-lint on template.yaml: no errors, no warnings.
#   2. The real Lambda binaries: `cargo lambda watch` (the Lambda runtime emulator) serves
#      every bin of functions/ against a moto store; list-models, get-model, create-account,
#      get-me, run-model and get-run are called through it and compared with `auster serve`
#      on the same store (infra/lambda-compare.py).
#   3. `cargo lambda build --release --arm64` of one function, zipped (all of them:
#      `make package`).
# functions/tests/template.rs (template ↔ code) runs with the workspace's cargo test.
#
#   scripts/lambda-check.sh            all three
#   scripts/lambda-check.sh --no-arm64 skip the release cross-build (quick local loop)
#
# Builds reuse $CARGO_TARGET_DIR (scripts/env.sh), so after the first run only changed
# crates are rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export PATH="$AUSTER_VENV/bin:$PATH"
ARM64=1
[ "${1:-}" = "--no-arm64" ] && ARM64=""

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cfn-lint cargo-lambda moto_server; do
  command -v "$tool" >/dev/null || fail "$tool not found in $AUSTER_VENV/bin; run scripts/setup.sh"
done

step "cfn-lint template.yaml"
# Exit status 0 only when there is neither an error nor a warning.
cfn-lint template.yaml
echo "no errors or warnings"

work=$(mktemp -d)
pids=()
cleanup() {
  # Each server was started in its own process group (setsid): end the group, which
  # holds cargo lambda watch's function processes too.
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$AUSTER_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() { # url seconds logfile
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -s -m 5 -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "--- $3"; tail -30 "$3" || true
  fail "nothing answered at $1 within $2 s"
}
start() { # logfile command...
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 &
  pids+=($!)
}

step "build the function bins and the auster binary"
# Built first so that cargo lambda watch's `cargo run` finds them up to date and the first
# request does not wait for a compile.
cargo build --quiet -p auster-functions --bins -p auster-cli
auster="$CARGO_TARGET_DIR/debug/auster"

step "moto store"
moto_port=$(free_port)
start "$work/moto.log" moto_server -H 127.0.0.1 -p "$moto_port"
wait_http "http://127.0.0.1:$moto_port/moto-api/" 30 "$work/moto.log"
cat >"$work/env" <<EOF
AUSTER_STORE=aws
AUSTER_TABLE=auster-lambda-check
AUSTER_BUCKET=auster-lambda-check
AUSTER_DATA=bundled
AUSTER_DATASETS=$PWD/seeds/data
AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=moto
AWS_SECRET_ACCESS_KEY=moto
RUST_LOG=warn
EOF
set -a; . "$work/env"; set +a
"$auster" store init
"$auster" seed

step "auster serve and cargo lambda watch on that store"
serve_port=$(free_port)
watch_port=$(free_port)
mkdir -p "$work/site"
start "$work/serve.log" "$auster" serve --addr "127.0.0.1:$serve_port" --web-dir "$work/site" --no-seed
# The emulator gives every function the variables of --env-file, as Lambda gives those of
# template.yaml; --ignore-changes: nothing is rebuilt while the check runs.
start "$work/watch.log" cargo lambda watch --ignore-changes --quiet -p auster-functions \
  -A 127.0.0.1 -P "$watch_port" --env-file "$work/env"
wait_http "http://127.0.0.1:$serve_port/api/health" 60 "$work/serve.log"
# The emulator holds a request to / open (it waits for a default function), so readiness
# is its port accepting connections.
for ((i = 0; i < 600; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$watch_port") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$watch_port") 2>/dev/null || { tail -30 "$work/watch.log"; fail "cargo lambda watch did not listen"; }

step "compare the Lambda binaries with auster serve"
if ! "$AUSTER_VENV/bin/python" infra/lambda-compare.py \
     --serve "http://127.0.0.1:$serve_port" --lambda "http://127.0.0.1:$watch_port"; then
  echo "--- cargo lambda watch log"; tail -40 "$work/watch.log"
  echo "--- auster serve log"; tail -20 "$work/serve.log"
  fail "the Lambda binaries and auster serve disagree"
fi

if [ -n "$ARM64" ]; then
  step "cargo lambda build --release --arm64 (health)"
  t0=$SECONDS
  cargo lambda build --quiet --release --arm64 -p auster-functions --bin health --output-format zip
  zip="$CARGO_TARGET_DIR/lambda/health/bootstrap.zip"
  [ -s "$zip" ] || fail "no $zip"
  bytes=$(stat -c %s "$zip")
  printf 'health: bootstrap.zip %.2f MB (target < 8 MB), built in %d s\n' \
    "$(echo "$bytes / 1048576" | bc -l)" $((SECONDS - t0))
  [ "$bytes" -lt $((8 * 1024 * 1024)) ] || fail "health's zip is over 8 MB"
fi
echo
echo "deployment checks passed"
