# Installs the build into a fresh prefix and uses it as an application would (CTest abi.install):
# a CMake project with find_package(deltanet), and a plain cc line with pkg-config; both build the
# README's C example, which must then run from the source tree (it loads models/kjv-deltanet-6m).
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DEXAMPLE=readme_example.c -DCC=cc
#         [-DEXTRA_FLAGS="-fsanitize=..."] -P install_check.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR EXAMPLE CC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_check.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_example_output what)
  if(NOT last_output MATCHES "^In the beginning God created ")
    message(FATAL_ERROR "${what}: unexpected output:\n${last_output}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
# The library directory: lib, lib64 or lib/<multiarch> (Debian), whichever the build chose.
file(GLOB_RECURSE libs "${prefix}/libdeltanet.so")
if(NOT libs)
  message(FATAL_ERROR "cmake --install put no libdeltanet.so under ${prefix}")
endif()
list(GET libs 0 lib)
get_filename_component(libdir "${lib}" DIRECTORY)

# find_package(deltanet) from a separate project.
run("configuring the consumer" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/install" -B "${WORK_DIR}/consumer"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCONSUMER_SOURCE=${EXAMPLE}" "-DCMAKE_C_FLAGS=${EXTRA_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
run("building the consumer" "${CMAKE_COMMAND}" --build "${WORK_DIR}/consumer")
execute_process(COMMAND "${WORK_DIR}/consumer/consumer" WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE last_output ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the find_package consumer failed (${rc}): ${err}")
endif()
expect_example_output("find_package consumer")

# cc $(pkg-config --cflags --libs deltanet), as the README says.
set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
run("pkg-config" pkg-config --cflags --libs deltanet)
string(STRIP "${last_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
run("cc with pkg-config" "${CC}" -std=c99 -pedantic -Werror ${extra} "${EXAMPLE}" -o "${WORK_DIR}/pkg_consumer" ${flags})
set(ENV{LD_LIBRARY_PATH} "${libdir}")
execute_process(COMMAND "${WORK_DIR}/pkg_consumer" WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE last_output ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the pkg-config consumer failed (${rc}): ${err}")
endif()
expect_example_output("pkg-config consumer")
message(STATUS "installed headers, CMake package and pkg-config file all build and run the README example")
