#!/usr/bin/env bash
# Builds the Go programs the tests run, with the machine's Go and the Go module proxy:
# the controller-runtime operator (test/fixtures/go-operator) and the stdlib-only leaker
# (test/fixtures/goroutine-dumper, also with GOEXPERIMENT=goroutineleakprofile where the
# toolchain has it). Module and build caches live in .cache/go (gitignored), so only the
# first run downloads and compiles; later runs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null; then echo "Go is missing: the Go leak tests need the machine's Go (1.26)." >&2; exit 1; fi
root="$PWD/.cache/go"
export GOPATH="$root" GOMODCACHE="$root/mod" GOCACHE="$root/build" GOFLAGS="${GOFLAGS:--buildvcs=false}"
mkdir -p "$root/bin"
(cd test/fixtures/goroutine-dumper && go build -o "$root/bin/go-leaker" .)
if [ -f "$(go env GOROOT)/src/internal/goexperiment/exp_goroutineleakprofile_on.go" ]; then
  (cd test/fixtures/goroutine-dumper && GOEXPERIMENT=goroutineleakprofile go build -o "$root/bin/go-leaker-leakprofile" .)
fi
if ! (cd test/fixtures/go-operator && go build -o "$root/bin/go-operator" .); then
  echo "Could not build the controller-runtime operator (is the Go module proxy reachable?); the stdlib leaker stands in for it." >&2
  rm -f "$root/bin/go-operator"
fi
# Go's own pprof (the tests open Loopscope's profiles with it); built once here rather than
# by `go tool pprof` on first use inside a test's timeout.
[ -x "$root/bin/pprof" ] || go build -o "$root/bin/pprof" cmd/pprof
