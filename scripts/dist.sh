#!/usr/bin/env bash
# Builds the Windows release: picarto-bridge.exe (console) and
# picarto-bridge-noconsole.exe (-H=windowsgui: no console window; logs go to
# <data dir>/logs/picarto-bridge.log), zipped with the README, .env.example
# and the Streamer.bot import file. The version is stamped from git.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
out=${DIST_DIR:-dist}
stage="$out/picarto-bridge-$version-windows-amd64"
rm -rf "$stage"
mkdir -p "$stage"

ldflags="-s -w -X main.version=$version"
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$stage/picarto-bridge.exe" .
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -tags windowsgui -ldflags "$ldflags -H=windowsgui" -o "$stage/picarto-bridge-noconsole.exe" .

cp README.md .env.example "$stage/"
# The import file, for the folder the README suggests; `picarto-bridge.exe
# import` on the streamer's PC writes one with the real path.
go run -ldflags "-X main.version=$version" . import --exe 'C:\picarto-bridge\picarto-bridge-noconsole.exe' \
  --workdir 'C:\picarto-bridge' --out "$stage/picarto.sb" >/dev/null

zip_path="$out/picarto-bridge-$version-windows-amd64.zip"
rm -f "$zip_path"
if command -v zip >/dev/null 2>&1; then
  (cd "$out" && zip -qr "$(basename "$zip_path")" "$(basename "$stage")")
else
  go run ./internal/zipdir "$stage" "$zip_path"
fi
echo "$zip_path"
