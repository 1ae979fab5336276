#!/usr/bin/env bash
# Runs every fuzz target of the module (found with `go test -list`), one
# after another, each for the given number of seconds (default 60), and prints
# the executions per second of each. A crasher is written by go test to the
# target's testdata/fuzz/<Name>/ directory, where it then runs with every
# `go test` as an ordinary test case; the script exits 1 if any target failed.
#
#   scripts/fuzz.sh [seconds] [regexp of target names]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
only=${2:-.}

targets=()
pending=()
while IFS= read -r line; do
  case "$line" in
    Fuzz*) pending+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for name in "${pending[@]+"${pending[@]}"}"; do targets+=("$pkg $name"); done
      pending=()
      ;;
  esac
done < <(go test -list '^Fuzz' ./... 2>/dev/null)

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
summary=()
failed=0
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  grep -Eq -- "$only" <<<"$name" || continue
  log="$logdir/$name.log"
  echo "== $name ($pkg), ${secs}s"
  status=ok
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s" "$pkg" >"$log" 2>&1; then
    status=FAILED
    failed=1
    tail -n 30 "$log"
  fi
  # The last progress line has the totals: "fuzz: elapsed: 61s, execs: 123 (0/sec), ..."
  last=$(grep -E '^fuzz: elapsed: [0-9]+s, execs: [0-9]+' "$log" | tail -n 1 || true)
  elapsed=$(sed -E 's/^fuzz: elapsed: ([0-9]+)s.*/\1/' <<<"$last")
  execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
  rate=0
  if [ -n "$last" ] && [ "${elapsed:-0}" -gt 0 ]; then rate=$((execs / elapsed)); fi
  summary+=("$(printf '%-26s %-58s %12s %10s  %s' "$name" "$pkg" "${execs:-0}" "$rate" "$status")")
done

echo
printf '%-26s %-58s %12s %10s  %s\n' target package execs execs/s result
printf '%s\n' "${summary[@]+"${summary[@]}"}"
exit $failed
