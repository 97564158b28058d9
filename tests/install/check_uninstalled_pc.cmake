# pkg-config against the build tree (CTest packaging.uninstalled_pc): with BUILD_DIR on
# PKG_CONFIG_PATH, `pkg-config --cflags --libs deltanet` reads deltanet-uninstalled.pc and gives the
# source/build tree's headers and library; the README example built with those flags runs.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DEXAMPLE=readme_example.c -DCC=cc
#         [-DEXTRA_FLAGS=...] -P check_uninstalled_pc.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR EXAMPLE CC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_uninstalled_pc.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(ENV{PKG_CONFIG_PATH} "${BUILD_DIR}")
execute_process(COMMAND pkg-config --cflags --libs deltanet RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs deltanet failed: ${err}")
endif()
string(STRIP "${flags}" flags)
string(FIND " ${flags} " " -L${BUILD_DIR} " at_lib)
string(FIND " ${flags} " " -I${SOURCE_DIR}/include " at_include)
if(at_lib EQUAL -1 OR at_include EQUAL -1)
  message(FATAL_ERROR "pkg-config did not use deltanet-uninstalled.pc: ${flags}")
endif()
separate_arguments(flag_list UNIX_COMMAND "${flags}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
execute_process(COMMAND "${CC}" -std=c99 -pedantic -Werror ${extra} "${EXAMPLE}" -o "${WORK_DIR}/example" ${flag_list}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cc with the uninstalled pkg-config flags failed:\n${out}\n${err}")
endif()
set(ENV{LD_LIBRARY_PATH} "${BUILD_DIR}")
execute_process(COMMAND "${WORK_DIR}/example" WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^In the beginning God created ")
  message(FATAL_ERROR "the example built from deltanet-uninstalled.pc failed (${rc}):\n${out}\n${err}")
endif()
message(STATUS "pkg-config (deltanet-uninstalled.pc): ${flags}")
