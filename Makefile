# The two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := run

.PHONY: run test test-deploy setup build bench golden docs package

setup:
	scripts/setup.sh

build:
	scripts/setup.sh run
	. scripts/env.sh && cargo build --release -p auster-cli
	scripts/build-web.sh

## Sets up, builds and starts the platform on http://127.0.0.1:8080 (embedded store in
## ./.auster, bundled data, seed models loaded on first start). Ctrl-C stops it.
run: build
	. scripts/env.sh && exec "$$CARGO_TARGET_DIR/release/auster" serve --addr 127.0.0.1:8080 --web-dir web/dist

## Sets up and runs every suite; prints a summary; non-zero on any failure.
test: setup
	tests/run

## The deployment checks alone (also part of `make test`): cfn-lint, the real Lambda binaries
## vs auster serve on moto, and the arm64 release cross-build of one function.
test-deploy: setup
	scripts/lambda-check.sh

## Regenerates the golden cases from the reference libraries (on purpose only).
golden: setup
	. scripts/env.sh && "$$AUSTER_VENV/bin/python" tests/reference/generate.py

## Regenerates docs/dsl.md from the primitive registry.
docs:
	. scripts/env.sh && cargo run --quiet -p auster-cli -- docs > docs/dsl.md

bench: build
	. scripts/env.sh && "$$CARGO_TARGET_DIR/release/auster" bench engine

## Cross-compiles every Lambda (release, arm64, zipped); prints each zip's size and a local cold start.
package: setup
	infra/package.sh
