#!/usr/bin/env bash
# Builds the project with its CUDA plugin on this (GPU-less) machine and packs what the GPU machine
# needs into .device/ (ignored by git): the binaries, the Debian runtime libraries that machine
# lacks, and the ground truth. Then, from the device tool:
#   run(command="bash tests/gpu/device_run.sh", carry=[".device", ".fla"])
# builds nothing there, checks everything (ctest label cuda; the CUDA tests again with the portable
# plugin) and times it (deltanet-cuda-bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
shared=${DN_SHARED_DIR:-$root/../shared}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDN_CUDA=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
# The portable configuration (DN_CUDA_PORTABLE: the code paths the HIP plugin compiles, see
# backends/cuda/gpu_runtime.h): only its plugin, which the same test binaries load from a second folder.
# The bundle and the tree must stay under the device tool's 64 MiB, which both plugins with all the
# fixtures no longer do: DN_PACK_PORTABLE=0 packs the normal plugin only (tests and timing),
# DN_PACK_PORTABLE=only the portable one only (device_run.sh then runs just its tests).
portable=${PORTABLE_BUILD_DIR:-$root/build-portable}
if [ "${DN_PACK_PORTABLE:-1}" != 0 ]; then
  cmake -S "$root" -B "$portable" -DCMAKE_BUILD_TYPE=Release -DDN_CUDA=ON -DDN_CUDA_PORTABLE=ON >/dev/null
  cmake --build "$portable" -j"$(nproc)" --target deltanet-cuda
fi

out=$root/.device
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib/deltanet/backends" "$out/shared/fixtures" "$out/shared/models/kjv-deltanet-6m"

cp "$build"/tests/test_cuda "$build"/tests/test_cuda_kernels "$build"/src/cli/deltanet "$out/bin/"
[ -x "$build/backends/cuda/deltanet-cuda-bench" ] && cp "$build/backends/cuda/deltanet-cuda-bench" "$out/bin/"
cp -P "$build"/libdeltanet.so* "$out/lib/"
[ "${DN_PACK_PORTABLE:-1}" = only ] || cp "$build"/deltanet/backends/libdeltanet-cuda.so "$out/lib/deltanet/backends/"
if [ "${DN_PACK_PORTABLE:-1}" != 0 ]; then
  mkdir -p "$out/lib/deltanet/backends-portable"
  cp "$portable"/deltanet/backends/libdeltanet-cuda.so "$out/lib/deltanet/backends-portable/"
fi
for lib in libdnnl.so.2 libpcre2-8.so.0 libicuuc.so.72 libgomp.so.1; do
  cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$out/lib/"
done
# ICU's 30 MB data library is only read by tokenizer normalizers, which the GPU run does not use;
# a stub keeps the transfer under the device tool's size limit.
echo 'const char icudt72_dat[64] = {0};' | gcc -x c -shared -fPIC -o "$out/lib/libicudata.so.72" -

cp "$shared/README.md" "$out/shared/"
cp -r "$shared"/fixtures/* "$out/shared/fixtures/"
# The bundled model is in the tree already; only the held-out ids and reference come along.
cp "$shared"/models/kjv-deltanet-6m/{val_ids.safetensors,reference.json} "$out/shared/models/kjv-deltanet-6m/"
strip --strip-unneeded "$out"/bin/* "$out"/lib/deltanet/backends*/*.so 2>/dev/null || true
# One compressed bundle: the device tool carries at most 64 MiB with the tree.
tar -C "$out" -cf - bin lib shared | xz -T0 -6 >"$root/.device-bundle.tar.xz"
rm -rf "$out" && mkdir -p "$out" && mv "$root/.device-bundle.tar.xz" "$out/bundle.tar.xz"
du -sh "$out"

# The peer for the kernel benchmark: fla's source (FLA_REPO: a clone of fla-org/flash-linear-attention),
# packed into .fla/ (ignored by git, never committed); carry it too: carry=[".device", ".fla"].
if [ -n "${FLA_REPO:-}" ]; then
  rm -rf "$root/.fla" && mkdir -p "$root/.fla"
  git --git-dir="$FLA_REPO" archive HEAD fla 2>/dev/null | tar -x -C "$root/.fla" ||
    git -C "$FLA_REPO" archive HEAD fla | tar -x -C "$root/.fla"
  rm -rf "$root/.fla/fla/layers" "$root/.fla/fla/models"
  tar -C "$root/.fla" -cJf "$root/.fla/fla.tar.xz" fla && rm -rf "$root/.fla/fla"
  du -sh "$root/.fla"
fi
