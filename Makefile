# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: run test bench fmt lint bootstrap build build-asan web fuzz clean soak

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

build-asan: bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

web: bootstrap
	@if [[ -f web/package.json ]]; then (cd web && npm run --silent build); fi

run: build web
	@scripts/run

test: bootstrap
	@scripts/test

bench: build
	@scripts/bench

# The published soak figure: an hour on SQLite, then an hour with two instances on PostgreSQL.
soak: build
	@SOAK_SECONDS=$${SOAK_SECONDS:-3600} SOAK_OUT=build/soak-sqlite.json node tests/soak/soak.mjs
	@SOAK_PG=1 SOAK_SECONDS=$${SOAK_SECONDS:-3600} SOAK_OUT=build/soak-postgres.json node tests/soak/soak.mjs

fuzz: bootstrap
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} scripts/fuzz

fmt:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

lint: build
	@git ls-files 'src/*.cc' | xargs clang-tidy -p build/release --quiet

clean:
	rm -rf build
