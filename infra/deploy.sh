#!/usr/bin/env bash
# Deploys the whole platform to the AWS account of the current credentials:
#   1. builds the web app (scripts/build-web.sh → web/dist);
#   2. `sam build` (cargo lambda, arm64, one bootstrap per route) and `sam deploy`
#      (functions, HTTP API, table, buckets, CloudFront, alarms) with infra/samconfig.toml;
#   3. uploads web/dist to the site bucket and invalidates CloudFront;
#   4. calls GET /api/health through CloudFront.
#
#   infra/deploy.sh                  the `default` environment of infra/samconfig.toml (prod)
#   infra/deploy.sh staging          another environment of that file
#   SKIP_BUILD=1 infra/deploy.sh     reuse .aws-sam/build (e.g. to re-upload the site only)
#
# Needs: aws CLI v2, sam CLI, cargo-lambda (scripts/setup.sh puts it in the venv), python3.
# docs/deployment.md explains first-time setup, secrets and rollbacks.
set -euo pipefail
cd "$(dirname "$0")/.."
ENV_NAME=${1:-default}
CONFIG="$PWD/infra/samconfig.toml"
[ -f scripts/env.sh ] && . scripts/env.sh
export PATH="${AUSTER_VENV:-$HOME/.cache/auster/venv}/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "deploy: $*" >&2; exit 1; }
for tool in aws sam cargo cargo-lambda python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (see docs/deployment.md, Prerequisites)"
done
aws sts get-caller-identity --query Account --output text >/dev/null \
  || fail "no AWS credentials: set AWS_PROFILE or run aws configure / aws sso login"

# The stack name and parameters of this environment, from samconfig.toml.
read -r STACK PARAMS < <(python3 - "$CONFIG" "$ENV_NAME" <<'PY'
import sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
env = cfg.get(sys.argv[2]) or sys.exit(f"no environment [{sys.argv[2]}] in {sys.argv[1]}")
stack = env["global"]["parameters"]["stack_name"]
print(stack, env["deploy"]["parameters"].get("parameter_overrides", ""))
PY
)
[ -n "${STACK:-}" ] || fail "could not read the stack name of [$ENV_NAME] from $CONFIG"
echo "environment $ENV_NAME: stack $STACK"

step "web app → web/dist"
scripts/build-web.sh
[ -f web/dist/index.html ] || fail "web/dist/index.html is missing after the build"

# The CSP allows index.html's inline boot script by its hash; it changes with every build
# (it names the build hash), so it is computed here and passed to the stack.
SCRIPT_HASH=$(python3 - <<'PY'
import base64, hashlib, re
html = open("web/dist/index.html", encoding="utf-8").read()
scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
if len(scripts) != 1:
    raise SystemExit(f"expected exactly one inline script in web/dist/index.html, found {len(scripts)}; "
                     "the CSP in template.yaml allows one (IndexScriptHash)")
print(base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode())
PY
)
echo "inline boot script sha256-$SCRIPT_HASH"

if [ -z "${SKIP_BUILD:-}" ]; then
  step "sam build (cargo lambda, arm64)"
  # The cargo-lambda builder copies <CodeUri>/target/lambda/<bin>/bootstrap, so cargo must
  # use the workspace's own target/ here, whatever CARGO_TARGET_DIR the shell has.
  env -u CARGO_TARGET_DIR sam build --config-file "$CONFIG" --config-env "$ENV_NAME"
fi

step "sam deploy"
# shellcheck disable=SC2086 # PARAMS is a list of Key=Value words
sam deploy --config-file "$CONFIG" --config-env "$ENV_NAME" \
  --parameter-overrides $PARAMS "IndexScriptHash=$SCRIPT_HASH"

output() {
  aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
BUCKET=$(output SiteBucketName)
DIST=$(output DistributionId)
SITE=$(output SiteUrl)
[ -n "$BUCKET" ] && [ -n "$DIST" ] || fail "stack $STACK has no SiteBucketName/DistributionId outputs"

step "site → s3://$BUCKET"
# Assets are referenced as /file?v=<build hash>, so they may be cached for a year; the
# wasm gets its exact type (instantiateStreaming requires application/wasm). index.html
# goes last, after everything it references, and is revalidated on every load.
aws s3 sync web/dist "s3://$BUCKET" --delete --exclude "index.html" --exclude ".*" --exclude "*.wasm" \
  --cache-control "public, max-age=31536000, immutable"
for wasm in web/dist/*.wasm; do
  aws s3 cp "$wasm" "s3://$BUCKET/$(basename "$wasm")" --content-type application/wasm \
    --cache-control "public, max-age=31536000, immutable"
done
aws s3 cp web/dist/index.html "s3://$BUCKET/index.html" \
  --content-type "text/html; charset=utf-8" --cache-control "no-cache"

step "invalidate CloudFront $DIST"
aws cloudfront create-invalidation --distribution-id "$DIST" --paths "/*" \
  --query Invalidation.Id --output text

step "smoke test"
ok=""
for _ in $(seq 1 30); do
  if curl -fsS "$SITE/api/health"; then ok=1; echo; break; fi
  sleep 10
done
[ -n "$ok" ] || fail "$SITE/api/health did not answer (a new distribution can take a few minutes)"
echo "deployed: $SITE"
