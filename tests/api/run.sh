#!/usr/bin/env bash
# HTTP API suites against a real `auster serve`, once per store backend:
#   1. sqlite (embedded, throw-away AUSTER_HOME), 2. aws (DynamoDB + S3 on a moto server
#   started on a free loopback port; `auster store init` creates the table and bucket).
# For each: the end-to-end suite (e2e.py) and schemathesis against /api/openapi.json.
# Exit status is non-zero when any suite fails. Called by tests/run.
#
#   AUSTER_BIN=/path/to/auster tests/api/run.sh      use a given binary
#   API_BACKENDS="sqlite" tests/api/run.sh           only some backends
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
py="$AUSTER_VENV/bin/python"
out=tests/output/api
mkdir -p "$out"

bin="${AUSTER_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet -p auster-cli || exit 1
  bin="$CARGO_TARGET_DIR/debug/auster"
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

free_port() { "$py" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_port() {
  for _ in $(seq 1 300); do
    if "$py" -c "import socket,sys;socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

pids=()
homes=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for h in "${homes[@]}"; do rm -rf "$h"; done
}
failed=0
suite_for() {
  local backend=$1
  local home port
  # Runs in a subshell: its own server and moto are stopped when it ends.
  trap cleanup EXIT
  home=$(mktemp -d); homes+=("$home")
  export AUSTER_HOME="$home" AUSTER_DATA=bundled AUSTER_FREE_RUNS_PER_DAY=6 \
         AUSTER_SIGNUP_CREDITS=2 AUSTER_RUNS_PER_MINUTE=3 RUST_LOG=warn
  if [ "$backend" = aws ]; then
    local mport; mport=$(free_port)
    "$AUSTER_VENV/bin/moto_server" -H 127.0.0.1 -p "$mport" > "$out/moto.log" 2>&1 &
    pids+=($!)
    wait_port "$mport" || { echo "moto did not start"; return 1; }
    export AUSTER_STORE=aws AUSTER_TABLE=auster-api-test AUSTER_BUCKET=auster-api-test \
           AWS_ENDPOINT_URL="http://127.0.0.1:$mport" AWS_REGION=us-east-1 \
           AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    "$bin" store init || return 1
    "$bin" store init > /dev/null || { echo "store init is not idempotent"; return 1; }
  else
    export AUSTER_STORE=sqlite
    unset AUSTER_TABLE AUSTER_BUCKET AWS_ENDPOINT_URL
  fi
  # `auster seed` twice: idempotent; then the server's own seeding finds everything present.
  "$bin" seed > "$out/seed-$backend.log" || return 1
  "$bin" seed | tail -1 | grep -q "^0 created" || { echo "auster seed is not idempotent"; return 1; }
  port=$(free_port)
  "$bin" serve --addr "127.0.0.1:$port" --web-dir web/dist > "$out/server-$backend.log" 2>&1 &
  pids+=($!)
  wait_port "$port" || { echo "auster serve did not start"; cat "$out/server-$backend.log"; return 1; }
  local rc=0
  echo "---- e2e ($backend)"
  "$py" tests/api/e2e.py "http://127.0.0.1:$port" "$bin" || rc=1
  echo "---- schemathesis ($backend)"
  local key
  key=$("$py" -c "
import json,urllib.request
r=urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$port/api/accounts',data=b'{\"email\":\"fuzz@example.com\"}',headers={'Content-Type':'application/json'}))
print(json.load(r)['api_key'])")
  "$AUSTER_VENV/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
    --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "${API_FUZZ_EXAMPLES:-30}" --seed 1 --workers 2 \
    --report junit --report-dir "$out/schemathesis-$backend" || rc=1
  return $rc
}

for backend in ${API_BACKENDS:-sqlite aws}; do
  echo "==== API suites on the $backend store"
  if ! ( suite_for "$backend" ); then
    echo "FAIL api suites ($backend)"
    failed=1
  fi
done
exit $failed
