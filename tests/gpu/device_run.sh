#!/usr/bin/env bash
# Runs on the GPU machine over what tests/gpu/pack.sh packed: the CUDA tests (with the normal plugin,
# then with the portable one), then the benchmarks.
# Logs go to $OUT (the device tool brings them back); the summary is printed last.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dev=/tmp/dn-device
rm -rf "$dev" && mkdir -p "$dev" && tar -C "$dev" -xJf "$root/.device/bundle.tar.xz"
out=${OUT:-/tmp/dn-out}
mkdir -p "$out"
export LD_LIBRARY_PATH=$dev/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export DN_SHARED_DIR=$dev/shared DN_BACKEND_DIR=$dev/lib/deltanet/backends
for f in "$root"/models/kjv-deltanet-6m/*; do ln -sf "$f" "$dev/shared/models/kjv-deltanet-6m/"; done

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader | tee "$out/gpu.txt"
# DN_DEVICE_MODE=profile: no tests, no fla; where decode time goes (tests/gpu/profile_decode.sh).
if [ "${DN_DEVICE_MODE:-all}" = profile ]; then
  dev=$dev out=$out root=$root bash "$root/tests/gpu/profile_decode.sh"
  exit $?
fi
status=0
normal=1
[ -f "$dev/lib/deltanet/backends/libdeltanet-cuda.so" ] || { normal=0; echo "== normal plugin not packed (DN_PACK_PORTABLE=only)"; }
for t in test_cuda_kernels test_cuda; do
  [ "$normal" = 1 ] || break
  "$dev/bin/$t" --gtest_color=no 2>&1 | tee "$out/$t.log" | grep -E "^\[  (FAILED|PASSED|SKIPPED) |measured|Failure|error|Expected|Which is|rel_err|  Actual" | head -80
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
if [ "$normal" = 1 ]; then
  # The delta-rule tests again on the fallback tensor-core kernel that the split one replaces.
  DN_CUDA_DISABLE=split_delta_rule "$dev/bin/test_cuda_kernels" --gtest_color=no --gtest_filter='*DeltaRule*' 2>&1 |
    tee "$out/test_cuda_kernels_unsplit.log" | grep -E "^\[  (FAILED|PASSED|SKIPPED) |Failure|rel_err" | sed 's/^/unsplit: /' | head -20
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # And on the split kernel run sequentially (prep, then walk), which the overlapped form replaces
  # wherever the walk needs at most half the SMs (every shape of these tests).
  DN_CUDA_DISABLE=overlap_delta_rule "$dev/bin/test_cuda_kernels" --gtest_color=no --gtest_filter='*DeltaRule*' 2>&1 |
    tee "$out/test_cuda_kernels_sequential.log" | grep -E "^\[  (FAILED|PASSED|SKIPPED) |Failure|rel_err" | sed 's/^/sequential: /' | head -20
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# The same tests over the portable plugin (DN_CUDA_PORTABLE, packed by pack.sh): the code paths that
# the HIP build compiles (tiled products, no PTX, 64 KiB shared memory), proven on this GPU.
if [ -d "$dev/lib/deltanet/backends-portable" ]; then
  echo "== portable configuration (the HIP build's code paths)"
  for t in test_cuda_kernels test_cuda; do
    DN_BACKEND_DIR=$dev/lib/deltanet/backends-portable "$dev/bin/$t" --gtest_color=no 2>&1 | tee "$out/$t.portable.log" |
      grep -E "^\[  (FAILED|PASSED|SKIPPED) |Failure|error|Expected|Which is|rel_err|  Actual" | head -80
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  done
fi
if [ -x "$dev/bin/deltanet-cuda-bench" ] && [ "$normal" = 1 ] && [ "${DN_SKIP_BENCH:-0}" != 1 ]; then
  models=()
  for config in ${DN_BENCH_MODELS-deltanet-1.3b gated-deltanet-1.3b}; do
    "$dev/bin/deltanet" random-model --config "$root/src/cli/configs/$config.json" --dtype bf16 "/tmp/$config" >/dev/null &&
      models+=("/tmp/$config")
  done
  # The peer, fla's Triton kernels, timed in the same run when its source was carried in
  # .fla/fla.tar.xz (git archive of fla-org/flash-linear-attention's fla/ folder; never committed).
  if [ -f "$root/.fla/fla.tar.xz" ]; then
    rm -rf /tmp/fla-src && mkdir -p /tmp/fla-src && tar -C /tmp/fla-src -xJf "$root/.fla/fla.tar.xz"
    PYTHONPATH=/tmp/fla-src python3 "$root/tests/gpu/fla_bench.py" 2>&1 | tee "$out/fla.log" | tail -3
    export DN_FLA_PLAIN_MS=$(awk '$2 == "chunk_delta_rule" {print $3}' "$out/fla.log")
    export DN_FLA_GATED_MS=$(awk '$2 == "chunk_gated_delta_rule" {print $3}' "$out/fla.log")
  fi
  "$dev/bin/deltanet-cuda-bench" "${models[@]}" 2>&1 | tee "$out/bench.log"
fi
exit $status
