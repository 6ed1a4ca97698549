#!/usr/bin/env bash
# Sums the counters of every TRX file in $1 and prints "N passed, N failed[, N skipped]".
# $3 is the number of test projects run: one that produced no TRX (a crashed test host) counts as one failure.
set -uo pipefail
results="$1"; dotnet_status="${2:-0}"; projects="${3:-0}"
passed=0; failed=0; skipped=0
trx_count=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  trx_count=$((trx_count + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
if [ "$trx_count" -lt "$projects" ]; then
  echo "warning: $projects test projects but $trx_count result files: a test host crashed" >&2
  failed=$((failed + projects - trx_count))
fi
if [ "$dotnet_status" != "0" ] && [ "$failed" = "0" ]; then
  echo "warning: dotnet test exited with $dotnet_status" >&2
  failed=1
fi
# the failed tests by name with the first lines of their messages, so a CI log's tail says which
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); print "FAILED " substr($0, RSTART + 10, RLENGTH - 11); want = 1 }
    want && /<Message>/ { inmsg = 1; shown = 0 }
    inmsg && shown < 8 { line = $0; gsub(/<\/?Message>/, "", line); print "    " substr(line, 1, 300); shown++ }
    inmsg && /<\/Message>/ { inmsg = 0; want = 0 }
  ' "$trx"
done
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = "0" ] && [ "$passed" -gt 0 ]
