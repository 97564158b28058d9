# Writes the DIR/*.EXT files, quoted, one a line, into OUT (a javac / mcs @-file).
file(GLOB files "${DIR}/*.${EXT}")
list(SORT files)
set(text "")
foreach(f IN LISTS files)
  string(APPEND text "\"${f}\"\n")
endforeach()
file(WRITE "${OUT}" "${text}")
