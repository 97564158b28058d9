# Compares libdeltanet.so with the stored ABI baseline (CTest abi.baseline, and .ci/run):
#   cmake -DLIB=build/libdeltanet.so.0.1.0 -DBASELINE=packaging/abi/libdeltanet.so.0.abi
#         [-DABIDIFF=abidiff] [-DREADELF=readelf] -P check_abi.cmake
# Passes when abidiff finds no change other than added functions. Fails on any other change to the
# exported functions or the types they reach (removed or changed functions, changed structs or
# enums) while the SONAME is still the baseline's; with a new SONAME (the major version bumped) the
# break is allowed and the check says to store a new baseline (packaging/abi/update-baseline.sh).
# A field appended to a size-carrying options struct (struct_size) is compatible by design, but
# abidiff reports it like any layout change: after review, store the new baseline in the same change.
cmake_minimum_required(VERSION 3.25)
foreach(var LIB BASELINE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_abi.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT ABIDIFF)
  find_program(ABIDIFF abidiff)
endif()
if(NOT READELF)
  find_program(READELF readelf)
endif()
if(NOT ABIDIFF OR NOT READELF)
  message(FATAL_ERROR "check_abi.cmake: abidiff (Debian: abigail-tools) and readelf (binutils) are needed")
endif()
foreach(file LIB BASELINE)
  if(NOT EXISTS "${${file}}")
    message(FATAL_ERROR "check_abi.cmake: ${${file}} does not exist")
  endif()
endforeach()

# The baseline's SONAME (abidw writes it on the abi-corpus element) and the library's.
file(STRINGS "${BASELINE}" corpus_line LIMIT_COUNT 3 REGEX "<abi-corpus")
if(NOT corpus_line MATCHES "soname='([^']+)'")
  message(FATAL_ERROR "${BASELINE}: no soname on its abi-corpus element")
endif()
set(baseline_soname "${CMAKE_MATCH_1}")
execute_process(COMMAND "${READELF}" -d "${LIB}" OUTPUT_VARIABLE elf RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT elf MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  message(FATAL_ERROR "cannot read the SONAME of ${LIB}")
endif()
set(soname "${CMAKE_MATCH_1}")
if(NOT soname STREQUAL baseline_soname)
  message(STATUS "${LIB} has SONAME ${soname}, the baseline ${baseline_soname}: ABI breaks are allowed. "
    "Store the new baseline: packaging/abi/update-baseline.sh ${LIB}")
  return()
endif()

# abidiff's exit status is a bit mask: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
# Added functions are left out of the report (--no-added-syms), so that adding API passes. The
# baseline holds only what the public headers define (abidw --headers-dir); the library's side is
# limited to the exported functions and the types they reach (--exported-interfaces-only).
execute_process(COMMAND "${ABIDIFF}" --no-added-syms --exported-interfaces-only --fail-no-debug-info
    "${BASELINE}" "${LIB}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE report ERROR_VARIABLE err)
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "abidiff did not run: ${rc}\n${err}")
endif()
math(EXPR tool_error "${rc} & 3")
math(EXPR changed "${rc} & 12")
if(tool_error)
  message(FATAL_ERROR "abidiff failed (exit ${rc}):\n${err}\n${report}")
endif()
if(changed)
  math(EXPR incompatible "${rc} & 8")
  if(incompatible)
    set(kind "incompatible ABI change")
  else()
    set(kind "ABI change")
  endif()
  message(FATAL_ERROR "${kind} in ${LIB} against ${BASELINE} (abidiff exit ${rc}) with the SONAME still "
    "${soname}. Either keep the ABI, or bump the major version (project(VERSION) in CMakeLists.txt: the "
    "SONAME follows it) and store a new baseline (packaging/abi/update-baseline.sh). A field appended "
    "to a struct_size options struct is compatible: store the new baseline with it.\n${report}")
endif()
message(STATUS "${LIB}: ABI compatible with ${BASELINE} (SONAME ${soname}; added functions, if any, are allowed)")
