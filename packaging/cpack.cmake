# Debian packages from a build tree, with CPack's DEB generator (packaging/deb/README.md says why CPack
# rather than a debian/ folder):
#   cpack --config build/CPackConfig.cmake -B build/packages
# (packaging/deb/test-debs.sh builds them and tests them: lintian, dpkg -i, consumers, dpkg --purge)
# One package per install component (packaging/install.cmake):
#   libdeltanet<major>        runtime  the library (core + CPU backend); shlibs, symbols, ldconfig trigger
#   libdeltanet-dev           dev      headers, libdeltanet.so, CMake package, deltanet.pc
#   deltanet-tools            tools    the deltanet CLI, its configs and the bundled model kjv-deltanet-6m
#   libdeltanet-cuda<major>   cuda     the CUDA backend plugin (only when it is built: nvcc found)
#   libdeltanet-hip<major>    hip      the HIP backend plugin (only when it is built: -DDN_HIP=ON)
# Depends come from dpkg-shlibdeps (oneDNN, ICU, PCRE2, libgomp, libstdc++, libc) plus the
# relations below. Files land under /usr (CPACK_PACKAGING_INSTALL_PREFIX); the library directory is
# the build's CMAKE_INSTALL_LIBDIR (lib/<multiarch> on Debian: see CMakeLists.txt).
set(DN_DEB_MAINTAINER "libdeltanet maintainers <libdeltanet@example.org>" CACHE STRING
  "Maintainer field of the Debian packages")

set(dn_deb_version "${PROJECT_VERSION}")  # a native version: this tree is its own upstream
set(dn_deb_runtime "libdeltanet${PROJECT_VERSION_MAJOR}")
set(dn_deb_soname "libdeltanet.so.${PROJECT_VERSION_MAJOR}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME deltanet)
set(CPACK_PACKAGE_VENDOR "libdeltanet")
set(CPACK_PACKAGE_VERSION "${dn_deb_version}")
set(CPACK_PACKAGE_CONTACT "${DN_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${DN_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_STRIP_FILES ON)  # lintian: unstripped-binary-or-object
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}/packages")
set(CPACK_OUTPUT_CONFIG_FILE "${PROJECT_BINARY_DIR}/CPackConfig.cmake")
set(CPACK_SOURCE_OUTPUT_CONFIG_FILE "${PROJECT_BINARY_DIR}/CPackSourceConfig.cmake")
# dpkg-shlibdeps must find the libraries that no installed package provides: libdeltanet.so.N (in
# this build tree, for the CLI and plugins; it belongs to no package yet, so it gives no Depends:
# the explicit ones below do) and the CUDA toolkit's cuBLASLt (NVIDIA's packages, not dpkg's here).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}")
# CPack 3.25 writes postinst/postrm scripts that call ldconfig for any library under /usr/lib; Debian
# uses the ldconfig trigger instead (lintian: maintscript-calls-ldconfig). This drops those scripts
# from the runtime package after CPack has built it (its triggers file, below, does the work).
set(CPACK_POST_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/packaging/deb/drop-ldconfig-scripts.cmake")

# Files every package carries (/usr/share/doc/<package>/{copyright,changelog.gz}): installed only by
# component installs (CPack), not by a plain `cmake --install`.
configure_file("${PROJECT_SOURCE_DIR}/packaging/deb/changelog.in" "${PROJECT_BINARY_DIR}/packaging/deb/changelog" @ONLY)
configure_file("${PROJECT_SOURCE_DIR}/packaging/deb/deltanet.1" "${PROJECT_BINARY_DIR}/packaging/deb/deltanet.1" @ONLY)
find_program(DN_GZIP gzip)
foreach(file changelog deltanet.1)
  if(DN_GZIP)
    # -n: no name or time stamp, so that the package is reproducible.
    execute_process(COMMAND "${DN_GZIP}" -9nc "${PROJECT_BINARY_DIR}/packaging/deb/${file}"
      OUTPUT_FILE "${PROJECT_BINARY_DIR}/packaging/deb/${file}.gz")
  endif()
endforeach()
function(dn_deb_docs component package)
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/deb/copyright" "${PROJECT_BINARY_DIR}/packaging/deb/changelog.gz"
    DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}" COMPONENT ${component} EXCLUDE_FROM_ALL)
endfunction()

# What each package is.
set(CPACK_COMPONENTS_ALL runtime dev)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME "${dn_deb_runtime}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "run DeltaNet-family language models (library)
libdeltanet loads DeltaNet and Gated DeltaNet checkpoints written by the fla
library and runs them through a stable C API: prefill and decode, tokenizers,
sampling and streamed text generation.
.
This package holds the shared library with its CPU backend (oneDNN, OpenMP).
GPU backends are plugins in their own packages (libdeltanet-cuda${PROJECT_VERSION_MAJOR}).")
# shlibs for every package with a versioned library (the runtime package: the plugins have no SONAME).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The symbols file (packaging/deb/libdeltanet.symbols.in, comments dropped) and the ldconfig trigger.
file(STRINGS "${PROJECT_SOURCE_DIR}/packaging/deb/libdeltanet.symbols.in" dn_symbols_lines REGEX "^[^#]")
list(JOIN dn_symbols_lines "\n" dn_symbols)
string(REPLACE "@DN_SONAME@" "${dn_deb_soname}" dn_symbols "${dn_symbols}")
string(REPLACE "@DN_RUNTIME_PACKAGE@" "${dn_deb_runtime}" dn_symbols "${dn_symbols}")
file(WRITE "${PROJECT_BINARY_DIR}/packaging/deb/runtime/symbols" "${dn_symbols}\n")
file(WRITE "${PROJECT_BINARY_DIR}/packaging/deb/runtime/triggers" "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  "${PROJECT_BINARY_DIR}/packaging/deb/runtime/symbols;${PROJECT_BINARY_DIR}/packaging/deb/runtime/triggers")
dn_deb_docs(runtime "${dn_deb_runtime}")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdeltanet-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${dn_deb_runtime} (= ${dn_deb_version})")
set(CPACK_DEBIAN_DEV_DESCRIPTION "run DeltaNet-family language models (development files)
libdeltanet loads DeltaNet and Gated DeltaNet checkpoints written by the fla
library and runs them through a stable C API.
.
This package holds the C headers, the libdeltanet.so link, the CMake package
(find_package(deltanet) giving deltanet::deltanet) and deltanet.pc for
pkg-config.")
dn_deb_docs(dev libdeltanet-dev)

if(TARGET deltanet_cli)
  list(APPEND CPACK_COMPONENTS_ALL tools)
  set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME deltanet-tools)
  set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION science)
  # The CLI also holds some of the library's internals (dn_core): the very same version.
  set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${dn_deb_runtime} (= ${dn_deb_version})")
  set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "libdeltanet-cuda${PROJECT_VERSION_MAJOR}")
  set(CPACK_DEBIAN_TOOLS_DESCRIPTION "run DeltaNet-family language models (command-line tool)
The deltanet command generates text, tokenizes, evaluates and benchmarks
DeltaNet and Gated DeltaNet checkpoints written by the fla library, through
libdeltanet.
.
It comes with a small default model, kjv-deltanet-6m (6.2M parameters, trained
on the King James Bible), in /usr/share/deltanet/models, which
`deltanet generate` uses when no model directory is given.")
  install(FILES "${PROJECT_BINARY_DIR}/packaging/deb/deltanet.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
    COMPONENT tools EXCLUDE_FROM_ALL)
  dn_deb_docs(tools deltanet-tools)
endif()

# GPU backend plugins: the core loads them from <libdir>/deltanet/backends and accepts only a plugin
# of its own version, hence "=".
if(TARGET deltanet-cuda)
  list(APPEND CPACK_COMPONENTS_ALL cuda)
  set(CPACK_DEBIAN_CUDA_PACKAGE_NAME "libdeltanet-cuda${PROJECT_VERSION_MAJOR}")
  set(CPACK_DEBIAN_CUDA_PACKAGE_SECTION libs)
  # cudart is linked statically; cuBLASLt (libcublasLt.so.<CUDA major>) is not in Debian 12 for
  # CUDA 12/13 and comes from NVIDIA's CUDA repository, package libcublas-<major>-<minor>, which
  # dpkg-shlibdeps cannot see when the toolkit was not installed with dpkg: named here. The driver
  # (libcuda.so.1, loaded at run time) is only recommended: the plugin reports its absence.
  find_package(CUDAToolkit QUIET)  # (found in backends/cuda's scope; its variables are wanted here)
  if(NOT CUDAToolkit_VERSION_MAJOR)
    message(FATAL_ERROR "packaging: the CUDA plugin is built but CUDAToolkit is not found")
  endif()
  set(DN_DEB_CUBLAS_PACKAGE "" CACHE STRING
    "Debian package that provides libcublasLt.so for libdeltanet-cuda (default: NVIDIA's libcublas-<major>-<minor>)")
  set(dn_cublas_package "${DN_DEB_CUBLAS_PACKAGE}")
  if(NOT dn_cublas_package)
    set(dn_cublas_package "libcublas-${CUDAToolkit_VERSION_MAJOR}-${CUDAToolkit_VERSION_MINOR}")
  endif()
  set(CPACK_DEBIAN_CUDA_PACKAGE_DEPENDS "${dn_deb_runtime} (= ${dn_deb_version}), ${dn_cublas_package}")
  set(CPACK_DEBIAN_CUDA_PACKAGE_RECOMMENDS "libcuda1")
  list(APPEND CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CUDAToolkit_LIBRARY_DIR}")
  set(CPACK_DEBIAN_CUDA_DESCRIPTION "run DeltaNet-family language models (CUDA backend)
The CUDA backend of libdeltanet, a plugin that the library loads at run time
for the devices cuda:N: cuBLASLt for prefill products, its own kernels for
decode, the delta rule and attention, CUDA graphs for decode steps.
.
Built for sm_90a (H100/H200), sm_80 and compute_80 PTX. Needs the NVIDIA driver
and cuBLASLt from NVIDIA's CUDA ${CUDAToolkit_VERSION_MAJOR} repository.")
  dn_deb_docs(cuda "libdeltanet-cuda${PROJECT_VERSION_MAJOR}")
endif()
if(TARGET deltanet-hip)
  # The HIP backend (backends/hip, -DDN_HIP=ON) installs as component hip into <libdir>/deltanet/backends;
  # dpkg-shlibdeps adds the HIP runtime (Debian's libamdhip64-5, or ROCm's).
  list(APPEND CPACK_COMPONENTS_ALL hip)
  set(CPACK_DEBIAN_HIP_PACKAGE_NAME "libdeltanet-hip${PROJECT_VERSION_MAJOR}")
  set(CPACK_DEBIAN_HIP_PACKAGE_SECTION libs)
  set(CPACK_DEBIAN_HIP_PACKAGE_DEPENDS "${dn_deb_runtime} (= ${dn_deb_version})")
  set(CPACK_DEBIAN_HIP_DESCRIPTION "run DeltaNet-family language models (HIP backend)
The HIP (AMD ROCm) backend of libdeltanet, a plugin that the library loads at
run time for the devices hip:N: the CUDA backend's kernels compiled by hipcc
for gfx90a (MI200) and gfx940, tiled or hipBLAS prefill products.
Compiled for AMD GPUs but never run on one.")
  dn_deb_docs(hip "libdeltanet-hip${PROJECT_VERSION_MAJOR}")
endif()

include(CPack)

# Every install rule must belong to one of the packages above (a rule without COMPONENT would land in
# "Unspecified", which no package ships).
get_cmake_property(dn_install_components COMPONENTS)
foreach(component IN LISTS dn_install_components)
  if(NOT component IN_LIST CPACK_COMPONENTS_ALL)
    message(WARNING "install component '${component}' is in no Debian package (packaging/cpack.cmake)")
  endif()
endforeach()
