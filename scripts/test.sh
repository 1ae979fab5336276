#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Go modules; the npm packages of the Streamer.bot conformance test; Mono's
# C# compiler and Chromium from Debian when running as root), vets, checks the
# Windows build, then runs every package with the race detector. go test's
# summary lines come last.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  command -v mcs >/dev/null 2>&1 || need+=(mono-mcs)
  command -v mono >/dev/null 2>&1 || need+=(mono-runtime)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

go mod download
if [ ! -d sbclient/sbtest/conformance/node_modules/@streamerbot/client ]; then
  npm ci --prefix sbclient/sbtest/conformance --no-audit --no-fund --loglevel=error
fi

go vet ./...
# The Windows release (console and no-console .exe, zipped): both must be PE files.
dist=$(mktemp -d)
zip_path=$(DIST_DIR="$dist" ./scripts/dist.sh)
for exe in "$dist"/*/picarto-bridge.exe "$dist"/*/picarto-bridge-noconsole.exe; do
  [ "$(head -c 2 "$exe")" = "MZ" ] || { echo "not a PE executable: $exe" >&2; exit 1; }
done
echo "windows release: $(basename "$zip_path") ($(du -k "$zip_path" | cut -f1) KiB)"
rm -rf "$dist"

go test -race -count=1 -timeout 12m ./...
go test -race -count=1 -tags soak -run Soak -timeout 5m ./e2e/ -soak.duration=60s
