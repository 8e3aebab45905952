#!/usr/bin/env bash
# Deployment checks (issue 8): the real Lambda binaries, and the arm64 release build.
#   1. cfn-lint on template.yaml: no errors, no warnings (tests/run lints it as its own
#      suite and passes --no-lint).
#   2. The real Lambda binaries behind `cargo lambda watch` (cargo-lambda's emulator of the
#      Lambda runtime API) against a moto store: every bin of functions/ is started as
#      Lambda starts a `bootstrap`, pointed at the emulator's runtime API for its function
#      name; list-models, get-model, create-account, get-me, run-model and get-run are
#      called through the emulator's /lambda-url/<bin>/... and compared with `auster serve`
#      on the same store (infra/lambda-compare.py). Every function must still be running
#      at the end (none failed its cold start).
#   3. `cargo lambda build --release --arm64` of the health function, zipped: an aarch64
#      ELF `bootstrap`, zip under 8 MB (all functions: `make package`).
# functions/tests/template.rs (template ↔ code) runs with the workspace's cargo test.
#
#   scripts/lambda-check.sh                all three
#   scripts/lambda-check.sh --no-lint      without cfn-lint (tests/run)
#   scripts/lambda-check.sh --no-arm64     without the release cross-build (quick local loop)
#
# Why the emulator does not start the functions itself: in its default mode it runs
# `cargo run --bin <name>` on a function's first request. On a shared target dir that
# waits for every other cargo command holding the build lock and rebuilds whatever
# changed in the tree since, so a first request could wait many minutes.
# `--only-lambda-apis` serves the same runtime API and invoke URLs without that; the
# binaries are the ones built just before, started the way Lambda starts them.
#
# Builds: the debug bins share $CARGO_TARGET_DIR (scripts/env.sh) with `make test`. The
# arm64 build keeps its own persistent target dir, $AUSTER_CACHE/target-lambda, so its
# dependencies (the AWS SDK, aws-lc, tokio … for aarch64) compile once; later runs only
# rebuild the workspace crates that changed. It uses the release profile with thin
# settings (no LTO, 16 codegen units) to keep that rebuild short; `make package` builds
# what is deployed (Cargo.toml's release profile, fat LTO).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export PATH="$AUSTER_VENV/bin:$PATH"
LINT=1
ARM64=1
for arg in "$@"; do
  case $arg in
    --no-lint) LINT="" ;;
    --no-arm64) ARM64="" ;;
    *) echo "usage: $0 [--no-lint] [--no-arm64]" >&2; exit 2 ;;
  esac
done

T0=$SECONDS
step() { printf '\n== %s  (%d s)\n' "$*" $((SECONDS - T0)); }
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cfn-lint cargo-lambda moto_server; do
  command -v "$tool" >/dev/null || fail "$tool not found in $AUSTER_VENV/bin; run scripts/setup.sh"
done

if [ -n "$LINT" ]; then
  step "cfn-lint template.yaml"
  # Exit status 0 only when there is neither an error nor a warning.
  cfn-lint template.yaml
  echo "no errors or warnings"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  # Each server was started in its own process group (setsid): end the groups; moto's
  # werkzeug server can ignore SIGTERM while busy, so whatever is left gets SIGKILL.
  local p i
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for ((i = 0; i < 30; i++)); do
    local alive=""
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
wait_port() { # port seconds logfile
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "--- $3"; tail -30 "$3" || true
  fail "nothing listened on port $1 within $2 s"
}
start() { # logfile command...
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 < /dev/null &
  pids+=($!)
}

mapfile -t functions < <(find functions/src/bin -maxdepth 1 -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
[ "${#functions[@]}" -gt 0 ] || fail "no bins in functions/src/bin"

step "build the ${#functions[@]} function bins and the auster binary (debug)"
# The function bins and the auster binary as `cargo test --workspace` builds them
# (integration tests get the bins of their package): the same features, so right after the
# workspace tests (tests/run) this is a no-op, where a `cargo build` of the bins alone would
# unify features differently and compile a second copy of the dependency tree. Should some
# test of the workspace not compile (the workspace suite's failure, not this one's), the
# bins are built alone. tests/run passes its own debug build of auster in AUSTER_BIN.
if ! cargo test --quiet --workspace --no-run >"$work/build.log" 2>&1; then
  grep -E '^error' "$work/build.log" | head -5
  echo "(cargo test --workspace --no-run failed: building the bins alone)"
  cargo build --quiet -p auster-functions --bins -p auster-cli
fi
auster=${AUSTER_BIN:-$CARGO_TARGET_DIR/debug/auster}
[ -x "$auster" ] || fail "no binary $auster"
for f in "${functions[@]}"; do
  [ -x "$CARGO_TARGET_DIR/debug/$f" ] || fail "no binary $CARGO_TARGET_DIR/debug/$f"
done

step "moto store: auster store init, auster seed"
moto_port=$(free_port)
start "$work/moto.log" moto_server -H 127.0.0.1 -p "$moto_port"
wait_http "http://127.0.0.1:$moto_port/moto-api/" 60 "$work/moto.log"
# What template.yaml gives every function, pointed at moto.
export AUSTER_STORE=aws
export AUSTER_TABLE=auster-lambda-check
export AUSTER_BUCKET=auster-lambda-check
export AUSTER_DATA=bundled
export AUSTER_DATASETS="$PWD/seeds/data"
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=moto
export AWS_SECRET_ACCESS_KEY=moto
export RUST_LOG=warn
"$auster" store init
"$auster" seed >"$work/seed.log" 2>&1 || { tail -20 "$work/seed.log"; fail "auster seed"; }
tail -1 "$work/seed.log"

step "auster serve, and cargo lambda watch with the ${#functions[@]} functions"
serve_port=$(free_port)
watch_port=$(free_port)
mkdir -p "$work/site"
start "$work/serve.log" "$auster" serve --addr "127.0.0.1:$serve_port" --web-dir "$work/site" --no-seed
start "$work/watch.log" cargo lambda watch --only-lambda-apis --ignore-changes -A 127.0.0.1 -P "$watch_port"
# The emulator holds a request to / open (it waits for a default function), so readiness
# is its port accepting connections.
wait_port "$watch_port" 60 "$work/watch.log"
# Each function as Lambda runs it: a fresh process of the binary with the runtime API's
# address in AWS_LAMBDA_RUNTIME_API (here the emulator's, per function name).
fn_pids=()
for f in "${functions[@]}"; do
  start "$work/fn-$f.log" env AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$watch_port/.rt/$f" \
    AWS_LAMBDA_FUNCTION_NAME="$f" AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
    "$CARGO_TARGET_DIR/debug/$f"
  fn_pids+=("${pids[-1]}")
done
wait_http "http://127.0.0.1:$serve_port/api/health" 60 "$work/serve.log"
code=$(curl -s -m 60 -o "$work/health.json" -w '%{http_code}' "http://127.0.0.1:$watch_port/lambda-url/health/api/health" || true)
[ "$code" = 200 ] || { cat "$work/health.json" 2>/dev/null; tail -20 "$work/fn-health.log" "$work/watch.log"; fail "the health function answered $code through the emulator"; }
echo "health through the emulator: $(cat "$work/health.json")"

step "compare the Lambda binaries with auster serve"
if ! "$AUSTER_VENV/bin/python" infra/lambda-compare.py \
     --serve "http://127.0.0.1:$serve_port" --lambda "http://127.0.0.1:$watch_port"; then
  echo "--- cargo lambda watch log"; tail -40 "$work/watch.log"
  for f in list-models get-model create-account get-me run-model get-run; do
    [ -s "$work/fn-$f.log" ] && { echo "--- $f log"; tail -20 "$work/fn-$f.log"; }
  done
  echo "--- auster serve log"; tail -20 "$work/serve.log"
  fail "the Lambda binaries and auster serve disagree"
fi
dead=()
for i in "${!functions[@]}"; do
  kill -0 "${fn_pids[$i]}" 2>/dev/null || dead+=("${functions[$i]}")
done
if [ "${#dead[@]}" -gt 0 ]; then
  for f in "${dead[@]}"; do echo "--- $f log"; tail -20 "$work/fn-$f.log"; done
  fail "functions that exited under the emulator: ${dead[*]}"
fi
echo "all ${#functions[@]} functions started against the store and are still serving"

if [ -n "$ARM64" ]; then
  step "cargo lambda build --release --arm64 (health; target dir $AUSTER_CACHE/target-lambda)"
  t0=$SECONDS
  lambda_target="$AUSTER_CACHE/target-lambda"
  CARGO_TARGET_DIR="$lambda_target" CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo lambda build --quiet --release --arm64 -p auster-functions --bin health --output-format zip
  zip="$lambda_target/lambda/health/bootstrap.zip"
  [ -s "$zip" ] || fail "no $zip"
  # The zip must hold an executable `bootstrap` for aarch64 Linux (ELF machine 183).
  "$AUSTER_VENV/bin/python" - "$zip" <<'EOF' || fail "$zip does not hold an aarch64 bootstrap"
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
info = z.getinfo("bootstrap")
head = z.read("bootstrap")[:20]
machine = struct.unpack("<H", head[18:20])[0]
mode = info.external_attr >> 16
elf = head[:4] == b"\x7fELF"
print(f"bootstrap: ELF {elf}, machine {machine} (aarch64 = 183), mode {oct(mode & 0o777)}, {info.file_size} bytes")
sys.exit(0 if elf and machine == 183 and mode & 0o111 else 1)
EOF
  bytes=$(stat -c %s "$zip")
  printf 'health: bootstrap.zip %.2f MiB (target < 8 MiB), built in %d s\n' \
    "$(echo "$bytes / 1048576" | bc -l)" $((SECONDS - t0))
  [ "$bytes" -lt $((8 * 1024 * 1024)) ] || fail "health's zip is over 8 MiB"
fi
echo
echo "deployment checks passed in $((SECONDS - T0)) s"
