# Runs two commands and fails unless both succeed and print exactly the same standard output.
# cmake -DEXPECTED="cmd;arg;..." -DACTUAL="cmd;arg;..." -P same_output.cmake
foreach(which EXPECTED ACTUAL)
  execute_process(COMMAND ${${which}} OUTPUT_VARIABLE out_${which} ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${which} command failed (${rc}): ${${which}}\n${err}")
  endif()
endforeach()
if(NOT out_EXPECTED STREQUAL out_ACTUAL)
  message(FATAL_ERROR "outputs differ\n--- expected (${EXPECTED}):\n${out_EXPECTED}\n--- actual (${ACTUAL}):\n${out_ACTUAL}")
endif()
string(LENGTH "${out_ACTUAL}" n)
message(STATUS "same output (${n} bytes):\n${out_ACTUAL}")
