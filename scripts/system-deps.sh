#!/usr/bin/env bash
# Installs the real parts some tests run, when they are missing: the Go
# toolchain (derived schemas are checked against what encoding/json really
# writes), headless Chromium (the HTML report is opened in a real browser) and
# Prometheus with promtool (alert rules and dashboard queries are evaluated by
# the real thing). Debian package names; needs root and apt-get. Anything that
# cannot be installed is reported, and the tests that need it say so.
set -uo pipefail

declare -A package_for=([go]=golang-go [chromium]=chromium [promtool]=prometheus [prometheus]=prometheus)
missing=()
for command in go chromium promtool prometheus; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${package_for[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing $packages; install them (Debian: apt-get install $packages) or the tests that need them skip (fail under CI=true)" >&2
    exit 0
fi
echo "system-deps: installing $packages (apt-get, once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $packages >/dev/null \
    || echo "system-deps: apt-get could not install $packages" >&2
exit 0
