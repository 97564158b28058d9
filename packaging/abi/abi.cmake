# ABI discipline (see packaging/abi/README.md). The exported functions are all defined in the C ABI
# layer (src/api, the deltanet target's own sources): giving those few files debug information lets
# abidw/abidiff see the types of every exported function, in any build type. It changes no code, and
# the Debian packages strip it (CPACK_STRIP_FILES).
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(deltanet PRIVATE -g)
endif()
# The stored baseline for the current SONAME major, libdeltanet.so.<major>.abi, is checked by CTest
# abi.baseline (tests/CMakeLists.txt) and by .ci/run.
