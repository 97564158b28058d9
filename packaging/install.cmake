# Installation: the library, its headers, an exported CMake package (find_package(deltanet)) and
# deltanet.pc, split into components that packaging/cpack.cmake turns into Debian packages:
#   runtime  libdeltanet.so.<major>[.minor.patch]                  -> libdeltanet<major>
#   dev      headers, libdeltanet.so, CMake package, deltanet.pc    -> libdeltanet-dev
#   tools    the deltanet CLI, its configs and the bundled model    -> deltanet-tools (src/cli)
#   cuda     <libdir>/deltanet/backends/libdeltanet-cuda.so         -> libdeltanet-cuda<major>
#   hip      <libdir>/deltanet/backends/libdeltanet-hip.so          -> libdeltanet-hip<major> (-DDN_HIP=ON)
# `cmake --install build` installs them all.
include(CMakePackageConfigHelpers)

# Where the core looks for plugins: deltanet/backends beside libdeltanet.so (backends/backend.cpp).
set(DN_INSTALL_BACKENDDIR "${CMAKE_INSTALL_LIBDIR}/deltanet/backends")
set(DN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/deltanet")

install(TARGETS deltanet EXPORT deltanetTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# Every public header (deltanet.h includes the others), and the generated version.h.
install(DIRECTORY include/deltanet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(FILES "${PROJECT_BINARY_DIR}/include/deltanet/version.h" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/deltanet
  COMPONENT dev)

# The CMake package: deltanet::deltanet, a version file (same major version = same ABI, as the SONAME),
# and components for the backends: find_package(deltanet CONFIG COMPONENTS cuda) finds the package
# only where the CUDA plugin is installed (cpu is always there).
install(EXPORT deltanetTargets NAMESPACE deltanet:: DESTINATION ${DN_INSTALL_CMAKEDIR} COMPONENT dev)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/deltanetConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
configure_package_config_file("${PROJECT_SOURCE_DIR}/packaging/deltanetConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/deltanetConfig.cmake"
  INSTALL_DESTINATION ${DN_INSTALL_CMAKEDIR}
  PATH_VARS DN_INSTALL_BACKENDDIR)
install(FILES "${PROJECT_BINARY_DIR}/deltanetConfig.cmake" "${PROJECT_BINARY_DIR}/deltanetConfigVersion.cmake"
  DESTINATION ${DN_INSTALL_CMAKEDIR} COMPONENT dev)

# pkg-config: `pkg-config --cflags --libs deltanet`. The prefix is found from the .pc file's own
# place (${pcfiledir}), so `cmake --install --prefix` anywhere gives a working file.
string(REGEX REPLACE "[^/]+" ".." pc_to_prefix "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file("${PROJECT_SOURCE_DIR}/packaging/deltanet.pc.in" "${PROJECT_BINARY_DIR}/deltanet.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/deltanet.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
# The build tree's own: with the build directory on PKG_CONFIG_PATH, pkg-config prefers
# deltanet-uninstalled.pc to deltanet.pc and points at the source and build trees (the Rust
# binding's build.rs, in-tree consumers).
configure_file("${PROJECT_SOURCE_DIR}/packaging/deltanet-uninstalled.pc.in"
  "${PROJECT_BINARY_DIR}/deltanet-uninstalled.pc" @ONLY)

include("${PROJECT_SOURCE_DIR}/packaging/abi/abi.cmake")
include("${PROJECT_SOURCE_DIR}/packaging/cpack.cmake")
