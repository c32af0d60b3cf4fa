#!/usr/bin/env bash
# Builds etcd and kube-apiserver from their published Go modules (pinned in
# test/fixtures/go/*/go.mod and go.sum) with the machine's Go, for the integration tests
# that run against a real API server. Module and build caches live in .cache/go
# (gitignored), so only the first run compiles; later runs only check the stamps.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# The same GOPATH/GOMODCACHE/GOCACHE and flags as scripts/build-go-fixtures.sh (no -trimpath), so the
# k8s.io packages the controller-runtime operator already compiled (same versions) are reused here.
export GOPATH="$root/.cache/go" GOMODCACHE="$root/.cache/go/mod" GOCACHE="$root/.cache/go/build" GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"
bin="$root/.cache/go/bin"
mkdir -p "$bin"
command -v go >/dev/null || { echo "build-kube-apiserver: Go is needed (the machine's Go 1.26; apt-get install golang-go)" >&2; exit 1; }

# build NAME MODULE-DIR PACKAGE: rebuilds when the binary is missing or its module pins changed.
build() {
  local name="$1" dir="$2" pkg="$3" stamp="$bin/$1.stamp"
  local want; want="$(go version) $(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1)"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  echo "== building $name ($pkg) with $(go version | cut -d' ' -f3); caches in .cache/go"
  local t0=$SECONDS
  (cd "$dir" && go build -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$want" > "$stamp"
  echo "== built $name in $((SECONDS - t0)) s"
}

build etcd test/fixtures/go/etcd go.etcd.io/etcd/server/v3
build kube-apiserver test/fixtures/go/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
