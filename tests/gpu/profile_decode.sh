#!/usr/bin/env bash
# Where a decode step's time goes on the GPU machine (called by device_run.sh with
# DN_DEVICE_MODE=profile; dev, out and root set there):
#   1. decode of the 1.3B DeltaNet with each optimisation switched off in turn (DN_CUDA_DISABLE),
#      in the same run;
#   2. per-kernel GPU time of three eager decode steps (Nsight Compute, clocks and caches left
#      alone), per batch size, summed by kernel and divided by the steps: the kernels' own time,
#      which set against the step time gives the launch gaps.
set -uo pipefail
bench=$dev/bin/deltanet-cuda-bench
model=/tmp/deltanet-1.3b
"$dev/bin/deltanet" random-model --config "$root/src/cli/configs/deltanet-1.3b.json" --dtype bf16 $model >/dev/null || exit 1
decode() { DN_BENCH_PARTS=decode DN_BENCH_BATCHES=${DN_PROFILE_AB_BATCHES:-1,32} "$bench" $model 2>&1 | grep -E "decode batch"; }
for off in "" ${DN_PROFILE_SWITCHES:-pdl}; do
  echo "== DN_CUDA_DISABLE=$off"
  DN_CUDA_DISABLE=$off decode
done
for warps in ${DN_PROFILE_GEMV_WARPS:-2048 4096 8192}; do
  echo "== DN_CUDA_GEMV_WARPS=$warps"
  DN_CUDA_GEMV_WARPS=$warps decode
done
command -v ncu >/dev/null || { echo "ncu not found: no per-kernel profile"; exit 0; }
for batch in ${DN_PROFILE_BATCHES:-1 32 256}; do
  echo "== per-kernel time, batch $batch (eager, ncu)"
  DN_CUDA_GRAPHS=0 DN_BENCH_PROFILE=1 DN_BENCH_PARTS=decode DN_BENCH_BATCHES=$batch \
    timeout 300 ncu --profile-from-start off --clock-control none --cache-control none \
    --metrics gpu__time_duration.sum --csv "$bench" $model > "$out/ncu-b$batch.csv" 2> "$out/ncu-b$batch.err"
  python3 "$root/tests/gpu/ncu_summary.py" "$out/ncu-b$batch.csv" 3
done
