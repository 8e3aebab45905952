#!/usr/bin/env bash
# Builds the Leptos web app into web/dist (index.html, style.css, auster_web.js,
# auster_web_bg.wasm and, in the split size build, __wasm_split.js with the lazily loaded
# modules split_*.wasm / chunk_*.wasm). Idempotent and quick when nothing changed: a stamp of
# the inputs skips the whole build, and an unchanged .wasm skips wasm-split, wasm-bindgen and
# wasm-opt.
#
#   scripts/build-web.sh           build if needed
#   scripts/build-web.sh --force   rebuild
#   AUSTER_WEB_SPLIT=0 scripts/build-web.sh --force   one module, no code splitting
#
# Toolchain (see docs): rustup's wasm32-unknown-unknown target (added when missing), else
# Debian's rustc-web with -Zbuild-std; wasm-bindgen-cli at exactly the version in Cargo.lock;
# wasm-split-cli (crate wasm_split_cli_support) at the version below for the size build;
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

want_hash=$( { inputs_hash; echo "split=${AUSTER_WEB_SPLIT:-1}"; } | sha256sum | cut -c1-16)
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
split=""

# wasm-split-cli must understand the split points of the wasm_split_helpers version in
# Cargo.lock; 0.2.4 is the release that goes with helpers 0.2.3 / macros 0.2.2.
WASM_SPLIT_VERSION=0.2.4
ensure_wasm_split() {
  if cargo install --list 2>/dev/null | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:" \
     && command -v wasm-split-cli >/dev/null; then
    return 0
  fi
  echo "== installing wasm-split-cli $WASM_SPLIT_VERSION (once; a few minutes)"
  CARGO_TARGET_DIR="$AUSTER_CACHE/target-tools" cargo install wasm_split_cli_support \
    --version "=$WASM_SPLIT_VERSION" --features build-binary --locked
}
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   || rustup target add wasm32-unknown-unknown; then
  if rustup component list --installed 2>/dev/null | grep -q '^rust-src' \
     || rustup component add rust-src; then
    # Code splitting (web/src/split.rs): the pages a first visit to /models does not need
    # become their own modules, downloaded when first opened. Needs wasm-split-cli and
    # relocations kept in the linked module (--emit-relocs) so it can cut the module apart.
    split_flags=""
    if [ "${AUSTER_WEB_SPLIT:-1}" != 0 ] && ensure_wasm_split; then
      split_flags="--cfg auster_split -Clink-args=--emit-relocs"
      echo "== size build: std rebuilt with panic=immediate-abort, split into lazily loaded modules"
    else
      echo "== size build: std rebuilt with panic=immediate-abort (wasm-split-cli unavailable: one module)"
    fi
    if RUSTC_BOOTSTRAP=1 \
       RUSTFLAGS="$RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types -Cllvm-args=-inline-threshold=0${split_flags:+ $split_flags}" \
       CARGO_TARGET_DIR="$WASM_TARGET_DIR-std" cargo build --release --target wasm32-unknown-unknown \
         -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size -p auster-web; then
      WASM_TARGET_DIR="$WASM_TARGET_DIR-std"
      opt_after_bindgen=1
      [ -n "$split_flags" ] && split=1
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

# Everything wasm-split, wasm-bindgen and wasm-opt produce is kept in a stage folder beside
# the build, untouched, and web/dist is made from it: the asset hash goes into every URL.
STAGE="$WASM_TARGET_DIR/web-stage"
wasm_hash=$( { sha256sum "$wasm"; echo "split=$split"; } | sha256sum | cut -c1-16)
if [ "$FORCE" != "--force" ] && [ -f "$STAGE/.wasm-hash" ] && [ "$(cat "$STAGE/.wasm-hash")" = "$wasm_hash" ] \
   && [ -f "$STAGE/auster_web_bg.wasm" ]; then
  echo "== wasm unchanged; refreshing static files only"
else
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  work=$(mktemp -d)
  wasm_opt() {
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-multivalue "$@"
  }
  # wasm-opt in place on one module; the unoptimised module stays if it fails.
  optimise() {
    local module=$1
    shift
    if command -v wasm-opt >/dev/null; then
      if wasm_opt "$@" "$module" -o "$module.opt"; then
        mv "$module.opt" "$module"
      else
        echo "wasm-opt failed on $(basename "$module"); shipping it unoptimised"
        rm -f "$module.opt"
      fi
    fi
  }
  if [ -n "$split" ]; then
    # wasm-split cuts rustc's module into the main module (for wasm-bindgen), one module per
    # split point and shared chunks, and writes __wasm_split.js, which loads them into the
    # main module's memory and table. wasm-bindgen keeps the linker's exports the split
    # modules import (--keep-lld-exports).
    echo "== wasm-split"
    wasm-split-cli "$wasm" "$work/split" --target web --out-name auster_web
    wasm-bindgen --target web --no-typescript --no-demangle --keep-lld-exports \
      --out-dir "$STAGE" "$work/split/auster_web.wasm"
    cp "$work/split/__wasm_split.js" "$STAGE/"
    for m in "$work"/split/*.wasm; do
      [ "$(basename "$m")" = auster_web.wasm ] || cp "$m" "$STAGE/"
    done
    echo "== wasm-opt -Oz (every module, after wasm-bindgen)"
    for m in "$STAGE"/*.wasm; do
      optimise "$m" --low-memory-unused
    done
  elif [ -n "$opt_after_bindgen" ]; then
    # No reference types in this module: wasm-opt runs on wasm-bindgen's output, where the
    # describe functions bindgen reads are gone (wasm-bindgen cannot read them back from a
    # module wasm-opt has already rewritten in this build).
    wasm-bindgen --target web --no-typescript --out-dir "$STAGE" "$wasm"
    # --low-memory-unused: the first KB of memory is the bottom of the 1 MB stack, which
    # rustc places first (data starts at 1 MB), reached only by a stack 1 MB deep.
    echo "== wasm-opt -Oz (after wasm-bindgen)"
    optimise "$STAGE/auster_web_bg.wasm" --low-memory-unused
  else
    input="$wasm"
    if command -v wasm-opt >/dev/null; then
      # Optimise rustc's module *before* wasm-bindgen: Debian's binaryen (108) corrupts the
      # externref table that wasm-bindgen adds ("WebAssembly.Table.set(): Argument 1 is
      # invalid"), while the raw module optimises cleanly and bindgen keeps its sections.
      echo "== wasm-opt -Oz"
      cp "$wasm" "$work/auster_web.wasm"
      optimise "$work/auster_web.wasm" --enable-reference-types
      input="$work/auster_web.wasm"
    fi
    wasm-bindgen --target web --no-typescript --out-dir "$STAGE" "$input"
  fi
  rm -rf "$work"
  echo "$wasm_hash" > "$STAGE/.wasm-hash"
fi

# A content hash in every asset URL lets a CDN cache the files forever: index.html names
# the main module with it, and the module imports inside the JS get it too (a URL without
# it would also load a second copy of the wasm-bindgen glue).
asset=$(cat "$STAGE"/*.wasm "$STAGE"/*.js web/style.css | sha256sum | cut -c1-10)
mkdir -p "$DIST"
rm -f "$DIST"/*.wasm "$DIST"/*.js "$DIST"/.wasm-hash
for f in "$STAGE"/*.wasm; do
  cp "$f" "$DIST/"
done
for f in "$STAGE"/*.js; do
  # Only the URLs: `from "./x.js"` of an import statement and `new URL("./x.wasm", …)`;
  # the same names as keys of the wasm imports object must stay as they are.
  sed -E "s#(from ['\"]\./(__wasm_split|auster_web)\.js)(['\"])#\1?v=$asset\3#g; s#(new URL\(['\"]\./[A-Za-z0-9_]+\.wasm)(['\"])#\1?v=$asset\2#g" \
    "$f" > "$DIST/$(basename "$f")"
done
cp web/style.css "$DIST/style.css"
preload=""
if [ -f "$STAGE/__wasm_split.js" ]; then
  preload="<link rel=\"modulepreload\" href=\"/__wasm_split.js?v=$asset\">"
fi
sed -e "s/__HASH__/$asset/g" -e "s#<!-- split-preload -->#$preload#" web/index.html > "$DIST/index.html"
echo "$want_hash" > "$STAMP"

gz() { cat "$@" | gzip -9 | wc -c; }
first_gz=$(gz "$DIST/auster_web_bg.wasm")
js_gz=$(gz "$DIST"/*.js)
all_gz=0
for f in "$DIST"/*.wasm "$DIST"/*.js; do
  all_gz=$(( all_gz + $(gzip -9 -c "$f" | wc -c) ))
done
printf 'web/dist built: main wasm %s KB (%s KB gzipped), js %s KB gzipped; every module gzipped one by one: %s KB\n' \
  "$(( $(wc -c < "$DIST/auster_web_bg.wasm") / 1024 ))" "$((first_gz / 1024))" "$((js_gz / 1024))" "$((all_gz / 1024))"
