#!/usr/bin/env bash
# Builds the Leptos web app into web/dist (index.html, style.css, auster_web.js,
# auster_web_bg.wasm). Idempotent and quick when nothing changed: a stamp of the inputs
# skips the whole build, and an unchanged .wasm skips wasm-bindgen and wasm-opt.
#
#   scripts/build-web.sh           build if needed
#   scripts/build-web.sh --force   rebuild
#
# Toolchain (see docs): rustup's wasm32-unknown-unknown target (added when missing), else
# Debian's rustc-web with -Zbuild-std; wasm-bindgen-cli at exactly the version in Cargo.lock;
# wasm-opt (Debian's binaryen) when present.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

WASM_TARGET_DIR="${AUSTER_WASM_TARGET_DIR:-$AUSTER_CACHE/target-wasm}"
DIST=web/dist
STAMP="$DIST/.stamp"
FORCE=${1:-}

inputs_hash() {
  {
    find web -path web/dist -prune -o -type f -print
    find shared/types -type f
    echo Cargo.toml Cargo.lock scripts/build-web.sh
  } | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16
}

want_hash=$(inputs_hash)
if [ "$FORCE" != "--force" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_hash" ] \
   && [ -f "$DIST/auster_web_bg.wasm" ] && [ -f "$DIST/index.html" ]; then
  echo "web/dist is up to date"
  exit 0
fi

echo "== building the web app (wasm32, release)"
# Size settings for this build only (its own target dir; host release builds keep opt-level 3),
# measured in docs/performance.md (Web app):
# - opt-level "z" for every crate, not just auster-web: the dependencies (Leptos, serde_json)
#   are most of the code;
# - Leptos's `erase_components` mode: every component returns AnyView and every reactive
#   closure is erased, so the view machinery is compiled once per output type rather than
#   once per closure and component (−70 KB gzipped).
# - with rustup's rust-src component (added when missing): the standard library rebuilt
#   for size (-Zbuild-std through RUSTC_BOOTSTRAP, as the Debian fallback below already
#   does) with panics that abort at once (no panic messages or locations), no `{:?}`
#   output (`-Zfmt-debug=none`: the app shows no Debug output to users) and no
#   reference types, so wasm-bindgen keeps JS objects in its JS-side heap and wasm-opt can
#   run after it, and LLVM's inliner at threshold 0 (see docs/performance.md). Without
#   rust-src: the plain build.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export RUSTFLAGS="--cfg erase_components${RUSTFLAGS:+ $RUSTFLAGS}"
built=""
opt_after_bindgen=""
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   || rustup target add wasm32-unknown-unknown; then
  if rustup component list --installed 2>/dev/null | grep -q '^rust-src' \
     || rustup component add rust-src; then
    echo "== size build: std rebuilt with panic=immediate-abort"
    if RUSTC_BOOTSTRAP=1 \
       RUSTFLAGS="$RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types -Cllvm-args=-inline-threshold=0" \
       CARGO_TARGET_DIR="$WASM_TARGET_DIR-std" cargo build --release --target wasm32-unknown-unknown \
         -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size -p auster-web; then
      WASM_TARGET_DIR="$WASM_TARGET_DIR-std"
      opt_after_bindgen=1
      built=1
    else
      echo "the size build failed; building with rustup's prebuilt standard library"
    fi
  fi
  if [ -z "$built" ]; then
    CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --release --target wasm32-unknown-unknown -p auster-web
    built=1
  fi
fi
wasm="$WASM_TARGET_DIR/wasm32-unknown-unknown/release/auster_web.wasm"

# wasm-bindgen must match the wasm-bindgen crate version exactly.
want_wbg=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_wbg=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_wbg" != "$want_wbg" ]; then
  echo "== installing wasm-bindgen-cli $want_wbg (once; a few minutes)"
  # No --locked: its lock file names a webpki-roots release the registry does not serve.
  CARGO_TARGET_DIR="$AUSTER_CACHE/target-tools" cargo install wasm-bindgen-cli --version "=$want_wbg"
fi

wasm_hash=$(sha256sum "$wasm" | cut -c1-16)
if [ "$FORCE" != "--force" ] && [ -f "$DIST/.wasm-hash" ] && [ "$(cat "$DIST/.wasm-hash")" = "$wasm_hash" ] \
   && [ -f "$DIST/auster_web_bg.wasm" ]; then
  echo "== wasm unchanged; refreshing static files only"
  out="$DIST"
else
  out=$(mktemp -d)
  wasm_opt() {
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-multivalue "$@"
  }
  if [ -n "$opt_after_bindgen" ]; then
    # No reference types in this module: wasm-opt runs on wasm-bindgen's output, where the
    # describe functions bindgen reads are gone (wasm-bindgen cannot read them back from a
    # module wasm-opt has already rewritten in this build).
    wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
    if command -v wasm-opt >/dev/null; then
      # --low-memory-unused: the first KB of memory is the bottom of the 1 MB stack, which
      # rustc places first (data starts at 1 MB), reached only by a stack 1 MB deep.
      echo "== wasm-opt -Oz (after wasm-bindgen)"
      if wasm_opt --low-memory-unused "$out/auster_web_bg.wasm" -o "$out/opt.wasm"; then
        mv "$out/opt.wasm" "$out/auster_web_bg.wasm"
      else
        echo "wasm-opt failed; shipping the unoptimised module"
      fi
    fi
  else
    input="$wasm"
    if command -v wasm-opt >/dev/null; then
      # Optimise rustc's module *before* wasm-bindgen: Debian's binaryen (108) corrupts the
      # externref table that wasm-bindgen adds ("WebAssembly.Table.set(): Argument 1 is
      # invalid"), while the raw module optimises cleanly and bindgen keeps its sections.
      mkdir -p "$out/raw"
      echo "== wasm-opt -Oz"
      if wasm_opt --enable-reference-types "$wasm" -o "$out/raw/auster_web.wasm"; then
        input="$out/raw/auster_web.wasm"
      else
        echo "wasm-opt failed; shipping the unoptimised module"
      fi
    fi
    wasm-bindgen --target web --no-typescript --out-dir "$out" "$input"
  fi
fi

mkdir -p "$DIST"
if [ "$out" != "$DIST" ]; then
  cp "$out/auster_web_bg.wasm" "$DIST/auster_web_bg.wasm.tmp"
  cp "$out/auster_web.js" "$DIST/auster_web.js.tmp"
  mv "$DIST/auster_web_bg.wasm.tmp" "$DIST/auster_web_bg.wasm"
  mv "$DIST/auster_web.js.tmp" "$DIST/auster_web.js"
  rm -rf "$out"
  echo "$wasm_hash" > "$DIST/.wasm-hash"
fi
# A content hash in the asset URLs lets a CDN cache them forever.
asset=$(cat "$DIST/auster_web_bg.wasm" "$DIST/auster_web.js" web/style.css | sha256sum | cut -c1-10)
cp web/style.css "$DIST/style.css"
sed "s/__HASH__/$asset/g" web/index.html > "$DIST/index.html"
echo "$want_hash" > "$STAMP"

wasm_gz=$(gzip -9 -c "$DIST/auster_web_bg.wasm" | wc -c)
js_gz=$(gzip -9 -c "$DIST/auster_web.js" | wc -c)
printf 'web/dist built: wasm %s KB (%s KB gzipped), js %s KB gzipped\n' \
  "$(( $(wc -c < "$DIST/auster_web_bg.wasm") / 1024 ))" "$((wasm_gz / 1024))" "$((js_gz / 1024))"
