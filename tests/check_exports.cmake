# The ABI of libdeltanet.so, run by CTest (test abi.exports):
#   cmake -DLIB=libdeltanet.so -DNM=nm -DREADELF=readelf -DHEADER_DIR=include/deltanet -DSONAME=libdeltanet.so.0
#         -P check_exports.cmake
# - every dynamic symbol the library defines (nm -D --defined-only) starts with dn_, and is a
#   function a public header (HEADER_DIR/*.h) declares with DN_API;
# - every DN_API function of those headers is exported;
# - the library has the SONAME given.
cmake_minimum_required(VERSION 3.25)

foreach(var LIB NM READELF HEADER_DIR SONAME)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_exports.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "check_exports.cmake: ${LIB} does not exist")
endif()

# Symbols a toolchain may add to any shared library's dynamic table besides ours. None are expected
# with GNU ld and an anonymous version script that makes everything but dn_* local; list any here,
# by name (a named version node in src/api/exports.map, say DELTANET_0, would add that name as an
# absolute symbol).
set(toolchain_symbols)

execute_process(COMMAND "${NM}" -D --defined-only "${LIB}"
  OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE nm_rc)
if(NOT nm_rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only ${LIB} failed (${nm_rc}): ${nm_err}")
endif()

string(REPLACE "\n" ";" nm_lines "${nm_out}")
set(exported)
set(foreign)
foreach(line IN LISTS nm_lines)
  if(line STREQUAL "")
    continue()
  endif()
  # "<address> <type> <name>[@@version]"
  if(NOT line MATCHES "^[0-9a-fA-F]* *([A-Za-z]) ([^ @]+)(@.*)?$")
    message(FATAL_ERROR "cannot parse nm output line: '${line}'")
  endif()
  set(type "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  if(name IN_LIST toolchain_symbols)
    continue()
  endif()
  if(name MATCHES "^dn_")
    list(APPEND exported "${name}")
    if(NOT type STREQUAL "T")
      list(APPEND foreign "${name} (type ${type}, not a function in .text)")
    endif()
  else()
    list(APPEND foreign "${name} (type ${type})")
  endif()
endforeach()

# The API functions the headers declare: "DN_API <return type> dn_name(".
file(GLOB headers "${HEADER_DIR}/*.h")
set(api_lines)
foreach(header IN LISTS headers)
  file(STRINGS "${header}" lines REGEX "^DN_API ")
  list(APPEND api_lines ${lines})
endforeach()
set(declared)
foreach(line IN LISTS api_lines)
  if(NOT line MATCHES "^DN_API ")
    continue()  # the piece after a ';' inside a declaration line
  endif()
  if(line MATCHES "[ *](dn_[a-z0-9_]+)\\(")
    list(APPEND declared "${CMAKE_MATCH_1}")
  else()
    message(FATAL_ERROR "cannot find the function name in: '${line}'")
  endif()
endforeach()
list(LENGTH declared n_declared)
if(n_declared LESS 30)
  message(FATAL_ERROR "found only ${n_declared} DN_API functions in ${HEADER_DIR}: the parser is out of date")
endif()

set(problems)
if(foreign)
  list(JOIN foreign "\n    " text)
  string(APPEND problems "  exported symbols outside the dn_ API:\n    ${text}\n")
endif()
set(undeclared)
foreach(name IN LISTS exported)
  if(NOT name IN_LIST declared)
    list(APPEND undeclared "${name}")
  endif()
endforeach()
if(undeclared)
  list(JOIN undeclared " " text)
  string(APPEND problems "  exported dn_ symbols that the public headers do not declare: ${text}\n")
endif()
set(missing)
foreach(name IN LISTS declared)
  if(NOT name IN_LIST exported)
    list(APPEND missing "${name}")
  endif()
endforeach()
if(missing)
  list(JOIN missing " " text)
  string(APPEND problems "  DN_API functions of the public headers that the library does not export: ${text}\n")
endif()

execute_process(COMMAND "${READELF}" -d "${LIB}"
  OUTPUT_VARIABLE elf_out ERROR_VARIABLE elf_err RESULT_VARIABLE elf_rc)
if(NOT elf_rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -d ${LIB} failed (${elf_rc}): ${elf_err}")
endif()
if(NOT elf_out MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  string(APPEND problems "  no SONAME in the dynamic section (readelf -d)\n")
elseif(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  string(APPEND problems "  SONAME is ${CMAKE_MATCH_1}, expected ${SONAME}\n")
endif()

if(problems)
  message(FATAL_ERROR "ABI check of ${LIB} failed:\n${problems}")
endif()
list(LENGTH exported n_exported)
message(STATUS "${LIB}: ${n_exported} exported symbols, all dn_ functions of the public headers; SONAME ${SONAME}")
