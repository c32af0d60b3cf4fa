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
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
