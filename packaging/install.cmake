# Installation: the library, its headers and an exported CMake package (find_package(deltanet)).
include(CMakePackageConfigHelpers)

install(TARGETS deltanet EXPORT deltanetTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every public header (deltanet.h includes the others), and the generated version.h.
install(DIRECTORY include/deltanet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES "${PROJECT_BINARY_DIR}/include/deltanet/version.h" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/deltanet)
install(EXPORT deltanetTargets NAMESPACE deltanet:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/deltanet)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/deltanetConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
file(WRITE "${PROJECT_BINARY_DIR}/deltanetConfig.cmake"
  "include(\"\${CMAKE_CURRENT_LIST_DIR}/deltanetTargets.cmake\")\n")
install(FILES "${PROJECT_BINARY_DIR}/deltanetConfig.cmake" "${PROJECT_BINARY_DIR}/deltanetConfigVersion.cmake"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/deltanet)

# pkg-config: `pkg-config --cflags --libs deltanet`. The prefix is found from the .pc file's own
# place (${pcfiledir}), so `cmake --install --prefix` anywhere gives a working file.
string(REGEX REPLACE "[^/]+" ".." pc_to_prefix "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file("${PROJECT_SOURCE_DIR}/packaging/deltanet.pc.in" "${PROJECT_BINARY_DIR}/deltanet.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/deltanet.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
