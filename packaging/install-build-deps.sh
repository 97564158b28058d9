#!/usr/bin/env bash
# Installs the Debian 12 packages libdeltanet needs to build and test (run as root, or with sudo).
#   oneDNN: CPU matrix products        nlohmann-json: config.json and safetensors headers
#   CLI11: the deltanet command line    GoogleTest: the test suite
#   PCRE2, ICU: Unicode-aware regular expressions and normalization forms for the tokenizers
#   SWIG + JDK (javac, jni.h), SWIG + mono (mcs): the generated Java and C# bindings and their tests
#   abigail-tools: abidiff/abidw, the ABI check against packaging/abi/ (CTest abi.baseline)
#   dpkg-dev: dpkg-shlibdeps, which CPack runs to compute the .debs' Depends
#   file: CPack's DEB generator finds the ELF files to strip and to pass to dpkg-shlibdeps with it
#   lintian: checks the .debs (packaging/deb/test-debs.sh)
#   clang, libclang-rt-14-dev (libFuzzer), libomp-dev (clang's OpenMP): the fuzz targets (tests/fuzz)
set -euo pipefail
packages=(cmake make g++ pkg-config libdnnl-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev binutils libpcre2-dev libicu-dev
  swig openjdk-17-jdk-headless mono-mcs mono-runtime
  abigail-tools dpkg-dev file lintian
  clang libclang-rt-14-dev libomp-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
