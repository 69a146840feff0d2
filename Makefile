# The two commands the README opens with — `make run` and `make test` — do all their own set-up.
# Everything downloaded or built goes to $PORTICO_CACHE (default ~/.cache/portico), never into the repo.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ENV := . scripts/env.sh &&
TESTS ?= 'src/**/*.test.ts' 'test/**/*.test.ts'

.PHONY: run test setup setup-run dist typecheck lint-deps unit

## run: the gateway on the embedded default (examples/quickstart), with the echo upstream and a real Envoy
run: setup-run node_modules/.package-lock.json
	$(ENV) bin/portico up examples/quickstart --echo 127.0.0.1:18080

## test: every test (unit, golden, ADS, component smoke tests, end to end with the real components)
test: setup node_modules/.package-lock.json typecheck lint-deps
	$(ENV) node --disable-warning=ExperimentalWarning --test --test-timeout=300000 $(TESTS)

## setup: install every pinned component into the cache (seconds when already there)
setup:
	scripts/setup.sh

setup-run:
	scripts/setup.sh node envoy

## dist: the release artifact dist/portico-<version>-linux-x64.tar.gz (+ .sha256): Node, Portico, its dependencies, the RE2 addon
dist:
	scripts/setup.sh node re2
	$(ENV) scripts/dist.sh

typecheck: node_modules/.package-lock.json
	$(ENV) npx tsc -p .

## lint-deps: the dependency rules between src/ modules (.dependency-cruiser.cjs; docs/architecture.md)
lint-deps: node_modules/.package-lock.json
	$(ENV) npx depcruise --config .dependency-cruiser.cjs src

node_modules/.package-lock.json: package-lock.json
	$(ENV) npm ci --no-audit --no-fund
