# Shared paths for the build and test scripts (sourced, not run).
# A persistent cache outside the clone keeps the cargo target dir and the Python venv
# across fresh clones, so a second `make test` does not rebuild the world.
export AUSTER_CACHE="${AUSTER_CACHE:-$HOME/.cache/auster}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AUSTER_CACHE/target}"
export AUSTER_VENV="${AUSTER_VENV:-$AUSTER_CACHE/venv}"
export PATH="$HOME/.cargo/bin:$PATH"
