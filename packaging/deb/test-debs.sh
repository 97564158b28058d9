#!/usr/bin/env bash
# Builds the Debian packages from a build tree and tests them on this machine (.ci/run, phase
# "Debian packages"; needs root or sudo, dpkg-dev, lintian, file, pkg-config, a C/C++ compiler):
#   packaging/deb/test-debs.sh [BUILD_DIR]      (default: build, the README's Release build)
#  1. cpack: the .debs into BUILD_DIR/packages; their control fields and contents (dpkg -I, dpkg -c);
#  2. lintian on each: fails on any error or warning;
#  3. dpkg -i libdeltanet0, libdeltanet-dev, deltanet-tools (the CUDA plugin's package is checked by
#     lintian and by its contents only: its cuBLASLt dependency comes from NVIDIA's repository);
#  4. two consumers built outside the tree against the installed packages: a CMake project with
#     find_package(deltanet) (tests/install-deb, C++) and a cc line with pkg-config (C); both load
#     /usr/share/deltanet/models/kjv-deltanet-6m and generate a few greedy tokens; the installed CLI
#     does the same; find_package(deltanet COMPONENTS cuda) is refused while no plugin is installed;
#  5. dpkg --purge: afterwards nothing of the packages is left (files, folders, dpkg's records).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out="$build/packages"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

step() { printf -- '--- %s\n' "$*"; }

step "cpack (DEB) from $build"
rm -rf "$out"
cpack --config "$build/CPackConfig.cmake" -B "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
rm -rf "$out/_CPack_Packages"
mapfile -t debs < <(find "$out" -maxdepth 1 -name '*.deb' | sort)
((${#debs[@]} >= 3)) || { echo "error: expected at least 3 .deb files in $out" >&2; cat "$out.log"; exit 1; }
for deb in "${debs[@]}"; do
  printf '\n%s (%s)\n' "$(basename "$deb")" "$(du -h "$deb" | cut -f1)"
  dpkg-deb -f "$deb" Package Version Architecture Section Depends Recommends Suggests | sed 's/^/  /'
  dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -v '^\./$' | sed 's/^/  control: /'
  dpkg -c "$deb" | awk '{ print "  " $1 " " $6 ($7 ? " " $7 " " $8 : "") }' | grep -v '/$' | head -n 40
done
# Only FHS paths under /usr, the library where the linker looks, plugins in their own folder.
for deb in "${debs[@]}"; do
  if dpkg -c "$deb" | awk '{ print $6 }' | grep -v -E '^\./(usr/|usr/(lib|include|share|bin)/.*)?$' | grep -q .; then
    echo "error: $(basename "$deb") has files outside /usr/{bin,include,lib,share}" >&2; exit 1
  fi
done

step "lintian"
# --fail-on warning: errors and warnings fail; info and pedantic tags are printed only.
lintian --info --fail-on error,warning "${debs[@]}"
echo "lintian: no errors or warnings"

pkg() { basename "$1" | cut -d_ -f1; }
install_debs=()
remove_pkgs=()
for deb in "${debs[@]}"; do
  case "$(pkg "$deb")" in
    libdeltanet-cuda*|libdeltanet-hip*) ;;  # GPU runtimes are not installable here
    *) install_debs+=("$deb"); remove_pkgs+=("$(pkg "$deb")") ;;
  esac
done

# What the file system holds before, to compare after removal.
snapshot() {
  find /usr /etc /var/lib/dpkg/info /var/lib/dpkg/triggers -xdev \( -path /usr/local -o -path /usr/lib/python3 \) -prune -o -print 2>/dev/null \
    | grep -v -E '(__pycache__|\.pyc$)' | sort
}
snapshot >"$out/before.txt"
cleanup() { $sudo dpkg --purge "${remove_pkgs[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "dpkg -i ${remove_pkgs[*]}"
$sudo dpkg -i "${install_debs[@]}"
dpkg -L "${remove_pkgs[@]}" | grep -E "\.so|bin/|\.pc$|Config\.cmake$" | sed "s/^/  /"
model=/usr/share/deltanet/models/kjv-deltanet-6m
[ -f "$model/config.json" ] || { echo "error: $model is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/deltanet-consumers.XXXXXX)
cp "$root/tests/install-deb/CMakeLists.txt" "$root/tests/install-deb/consumer.cpp" "$root/tests/install-deb/consumer.c" "$work/"
cd "$work"

step "consumer 1: find_package(deltanet) (CMake, C++), outside the tree"
cmake -S . -B cmake-build -DCMAKE_BUILD_TYPE=Release >cmake.log 2>&1 || { cat cmake.log; exit 1; }
grep -- '-- deltanet ' cmake.log
cmake --build cmake-build >>cmake.log 2>&1 || { cat cmake.log; exit 1; }
./cmake-build/consumer_cmake "$model" 12 | tee out-cmake.txt
grep -q '^In the beginning God created .' out-cmake.txt
ldd cmake-build/consumer_cmake | grep deltanet

step "consumer 2: cc \$(pkg-config --cflags --libs deltanet) (C)"
flags=$(pkg-config --cflags --libs deltanet)
echo "pkg-config: $flags (version $(pkg-config --modversion deltanet))"
# shellcheck disable=SC2086
cc -std=c99 -pedantic -Wall -Werror consumer.c -o consumer_pc $flags
./consumer_pc "$model" cpu 12 | tee out-pc.txt
grep -q '^In the beginning God created .' out-pc.txt
[ "$(tail -n1 out-pc.txt)" = "$(tail -n1 out-cmake.txt)" ] || { echo "error: the two consumers disagree" >&2; exit 1; }
# A GPU device without its plugin installed: a clear error, not a crash.
if ./consumer_pc "$model" cuda:0 2 >gpu.txt 2>&1; then echo "error: cuda:0 worked without the plugin" >&2; exit 1; fi
sed 's/^/  cuda:0 without libdeltanet-cuda: /' gpu.txt | head -n 3

step "find_package(deltanet COMPONENTS cuda) without the CUDA plugin package"
if cmake -S . -B cmake-cuda -DDN_COMPONENTS=cuda >cmake-cuda.log 2>&1; then
  echo "error: the cuda component was found without libdeltanet-cuda" >&2; exit 1
fi
grep -A1 'the cuda backend plugin is not installed' cmake-cuda.log | sed 's/^ */  /'

step "deltanet-tools: /usr/bin/deltanet with its default model"
/usr/bin/deltanet generate -p "In the beginning God created" -n 12 --temp 0 | tee out-cli.txt
grep -q '^In the beginning God created .' out-cli.txt
man -w deltanet >/dev/null 2>&1 || [ -f /usr/share/man/man1/deltanet.1.gz ]

step "dpkg --purge ${remove_pkgs[*]}"
cd /
rm -rf "$work"
$sudo dpkg --purge "${remove_pkgs[@]}"
trap - EXIT
snapshot >"$out/after.txt"
if ! diff -u "$out/before.txt" "$out/after.txt"; then
  echo "error: removing the packages left the file system different (above)" >&2; exit 1
fi
for p in "${remove_pkgs[@]}"; do
  if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q -v 'not-installed'; then
    echo "error: dpkg still knows $p" >&2; exit 1
  fi
done
echo "removed: nothing left behind"
echo "Debian packages: built, lint-clean, installed, used by both consumers and removed"
