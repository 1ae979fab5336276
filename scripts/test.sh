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
GOOS=windows GOARCH=amd64 go build -o /dev/null .

go test -race -count=1 -timeout 12m ./...
