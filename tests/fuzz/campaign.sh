#!/usr/bin/env bash
# A long fuzz campaign (not CI): runs each target in chunks of CHUNK seconds, resuming from its corpus,
# until it has executed TARGET_RUNS inputs in total; one process per call, at the lowest priority
# (two calls on different targets may share BUILD_DIR).
# While the file $DN_FUZZ_PAUSE_FILE exists (if set), it waits between chunks, so that the machine
# can be kept quiet for measurements. Appends one line per chunk to BUILD_DIR/fuzz-campaign.log.
# DN_FUZZ_NICE (default 19) is its priority: on a machine that also builds, 0 is safer, because
# libFuzzer's timeout is wall-clock and a nice-19 process beside two compilers gets ~1% of a core
# (an input of 15 ms was reported as a 13 s "timeout" that way).
#   tests/fuzz/campaign.sh BUILD_DIR TARGET_RUNS CHUNK TARGET...
set -euo pipefail
build=${1:?}; goal=${2:?}; chunk=${3:?}; shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log="$build/fuzz-campaign.log"
for t in "$@"; do
  total=0; seconds=0
  while ((total < goal)); do
    while [ -n "${DN_FUZZ_PAUSE_FILE:-}" ] && [ -e "$DN_FUZZ_PAUSE_FILE" ]; do sleep 30; done
    start=$SECONDS
    if ! nice -n "${DN_FUZZ_NICE:-19}" "$here/run_fuzzers.sh" "$build" "$chunk" "$t" >"$build/fuzz-chunk-$t.out" 2>&1; then
      cat "$build/fuzz-chunk-$t.out" | tee -a "$log"
      echo "$(date -u +%FT%TZ) $t FAILED after $total runs" | tee -a "$log"
      exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-artifacts/$t.log")
    total=$((total + runs)); seconds=$((seconds + SECONDS - start))
    echo "$(date -u +%FT%TZ) $t chunk $runs runs, total $total runs in $seconds s" >>"$log"
  done
  echo "$(date -u +%FT%TZ) $t DONE $total runs in $seconds s: 0 crashes, 0 leaks, 0 timeouts" | tee -a "$log"
done
