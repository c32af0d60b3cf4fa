#!/usr/bin/env bash
# The whole test suite: lint, type-check, production build, then unit, integration
# (real PostgreSQL) and end-to-end (real Chromium) tests. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1

bash scripts/ensure-chromium.sh
bash scripts/ensure-prometheus.sh
echo "== Go test programs"; bash scripts/build-go-fixtures.sh
echo "== lint (biome)"; npx biome lint .
echo "== type-check (tsc)"; npx tsc --noEmit -p tsconfig.json
echo "== build (next build)"; npx next build > test-results.build.log 2>&1 || { cat test-results.build.log; exit 1; }
tail -n 40 test-results.build.log; rm -f test-results.build.log
echo "== etcd and kube-apiserver (Go build, cached in .cache/go)"; bash scripts/build-kube-apiserver.sh
echo "== tests (vitest)"
mkdir -p test-results
rm -f test-results/vitest*.json
status=0
if [ "$#" -gt 0 ]; then
  npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
  node scripts/vitest-summary.mjs test-results/vitest.json test-results/vitest.json || true
else
  # Two lanes at once, each line prefixed by its lane: the end-to-end files (one at a time;
  # each runs the app and a browser and mostly waits on the demo's timing) beside the unit
  # and integration files (one at a time). Each lane has its own embedded PostgreSQL.
  lane() {
    local name=$1; shift
    npx vitest run --reporter=default --reporter=json --outputFile.json="test-results/vitest-$name.json" "$@" 2>&1 | sed -u "s/^/[$name] /"
  }
  lane e2e --project e2e & e2e_lane=$!
  lane unit+integration --project unit --project integration --maxWorkers=1 || status=$?
  wait "$e2e_lane" || status=$?
  node scripts/vitest-summary.mjs test-results/vitest.json test-results/vitest-e2e.json test-results/vitest-unit+integration.json || true
fi
exit $status
