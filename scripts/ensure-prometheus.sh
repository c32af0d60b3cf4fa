#!/usr/bin/env bash
# Conformance tests run Debian's Prometheus (and promtool) and Alertmanager as oracles;
# install them when missing (Debian packages only, never a downloaded build).
set -euo pipefail
missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing ${missing[*]}: install Debian's packages (apt-get install -y prometheus prometheus-alertmanager)." >&2
  exit 1
fi
echo "Installing Debian's ${missing[*]} for the conformance tests…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# The packages' services are not started (no init system in CI; policy-rc.d may deny it anyway).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
