# vcpkg port of libdeltanet (an overlay port kept in the source tree):
#   vcpkg install deltanet[cuda] --overlay-ports=<source tree>/packaging/vcpkg/ports
# It builds the source tree it sits in. For a registry (the curated vcpkg repository), replace the
# SOURCE_PATH line by vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/libdeltanet
# REF v${VERSION} SHA512 <archive hash> HEAD_REF main).
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)

# The library is a shared library with a C ABI and loads its GPU backends as plugins at run time.
vcpkg_check_linkage(ONLY_DYNAMIC_LIBRARY)


vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    tools DN_BUILD_CLI
)
if("cuda" IN_LIST FEATURES)
  list(APPEND FEATURE_OPTIONS -DDN_CUDA=ON)
else()
  list(APPEND FEATURE_OPTIONS -DDN_CUDA=OFF)
endif()
# hip: the HIP plugin, built by the host's hipcc (ROCm's or Debian's; vcpkg has no port for it).
if("hip" IN_LIST FEATURES)
  list(APPEND FEATURE_OPTIONS -DDN_HIP=ON)
else()
  list(APPEND FEATURE_OPTIONS -DDN_HIP=OFF)
endif()

# PCRE2 has no CMake package: the project finds it with pkg-config.
vcpkg_find_acquire_program(PKGCONFIG)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DDN_BUILD_TESTS=OFF
    -DDN_BINDINGS=OFF
    "-DPKG_CONFIG_EXECUTABLE=${PKGCONFIG}"
)
vcpkg_cmake_install()
# lib/cmake/deltanet -> share/deltanet, with the paths inside fixed.
vcpkg_cmake_config_fixup(PACKAGE_NAME deltanet CONFIG_PATH lib/cmake/deltanet)
vcpkg_fixup_pkgconfig()

if("tools" IN_LIST FEATURES)
  # The CLI finds the bundled model at <exe>/../share/deltanet/models; vcpkg moves tools to
  # tools/deltanet, so it is given the model directory explicitly there.
  vcpkg_copy_tools(TOOL_NAMES deltanet AUTO_CLEAN)
endif()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/packaging/deb/copyright")
