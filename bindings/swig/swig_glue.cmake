# dn_swig_glue(LANG OUTDIR EXT [SWIG flags...]): a custom command that runs SWIG on deltanet.i for
# LANG ("java", "csharp"), writing OUTDIR/wrap.c (the native glue) and the generated sources of the
# language into OUTDIR/src/, listed (*.EXT) in OUTDIR/sources.txt: a javac / mcs @-file, since which
# classes SWIG writes is only known once it has run. Everything lands in the build tree.
set(DN_SWIG_DIR ${CMAKE_CURRENT_LIST_DIR})

function(dn_swig_glue lang outdir ext)
  file(GLOB interface_files ${DN_SWIG_DIR}/*.i)
  add_custom_command(
    OUTPUT ${outdir}/wrap.c ${outdir}/sources.txt
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${outdir}/src
    COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}/src
    COMMAND ${SWIG_EXECUTABLE} -${lang} ${ARGN} -I${PROJECT_SOURCE_DIR}/include -I${DN_SWIG_DIR}
            -outdir ${outdir}/src -o ${outdir}/wrap.c ${DN_SWIG_DIR}/deltanet.i
    COMMAND ${CMAKE_COMMAND} -DDIR=${outdir}/src -DEXT=${ext} -DOUT=${outdir}/sources.txt
            -P ${DN_SWIG_DIR}/list_sources.cmake
    DEPENDS ${interface_files} ${DN_SWIG_DIR}/list_sources.cmake
            ${PROJECT_SOURCE_DIR}/include/deltanet/deltanet.h ${PROJECT_SOURCE_DIR}/include/deltanet/text.h
    COMMENT "SWIG: ${lang} glue from the public headers"
    VERBATIM)
endfunction()
