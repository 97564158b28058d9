#!/usr/bin/env bash
# Stores the ABI baseline of a libdeltanet build: packaging/abi/libdeltanet.so.<major>.abi.
#   packaging/abi/update-baseline.sh build/libdeltanet.so.0.1.0
# Run it when a release sets the ABI (a new SONAME major, or on purpose after review), and commit the
# file. Needs abidw (Debian: abigail-tools); the library must carry debug information for src/api
# (packaging/abi/abi.cmake gives it in every build type).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib=${1:?usage: update-baseline.sh path/to/libdeltanet.so.X.Y.Z}
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "error: $lib has no SONAME" >&2; exit 1; }
out="$here/$soname.abi"
# No paths or source locations (they are not ABI, and they would make every header
# edit look like a change in review); type ids by hash, so that unrelated changes move few lines.
abidw --headers-dir "$here/../../include/deltanet" --drop-private-types --exported-interfaces-only --no-corpus-path --no-comp-dir-path \
  --no-show-locs --type-id-style hash --out-file "$out" "$lib"
echo "wrote $out ($(grep -c '<elf-symbol ' "$out") exported symbols)"
