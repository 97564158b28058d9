#!/usr/bin/env bash
# Runs the libFuzzer targets of a DN_FUZZ build, one at a time, each in one process (no -jobs).
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Each target starts from its seeds (BUILD_DIR/fuzz-seeds/<target>, written at build time) and the
# inputs of earlier runs (BUILD_DIR/fuzz-corpus/<target>, kept between runs); a crash, leak, timeout
# or out-of-memory input goes to BUILD_DIR/fuzz-artifacts/ and fails the script. The last line per
# target says how many inputs ran. Extra libFuzzer flags: $DN_FUZZ_FLAGS.
set -euo pipefail

build=${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]}
seconds=${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]}
shift 2
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(safetensors model_config tokenizer_json state_blob text_api forward_api)
fi

# detect_leaks: a leak is a failure; malloc_limit_mb: one allocation of more than 1 GB is treated as
# a bug (an input chose the size), rss_limit_mb the same for the whole process.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build/fuzz-artifacts"
failed=()
for t in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz_$t"
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  log="$build/fuzz-artifacts/$t.log"
  # -timeout: one input running 10 s is a hang.
  if "$exe" "$corpus" "$build/fuzz-seeds/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" ${DN_FUZZ_FLAGS:-} >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$t: ${runs:-?} inputs in ${seconds} s, no crash, leak or timeout"
  else
    echo "fuzz_$t: FAILED (log: $log)"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|fuzz target found a bug|.*Test unit written)" "$log" | head -n 8 || true
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz targets that failed: ${failed[*]}" >&2
  exit 1
fi
