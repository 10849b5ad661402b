# mcunetHelpers.cmake: the functions of find_package(mcunet) (mcunetConfig.cmake sets MCUNET_MCUNETC, MCUNET_SHARE_DIR).

# mcunet_add_model(TARGET t MODEL file NAME sym [BOARD b] [POOLS name:size[:align]...] [TARGET_CPU cpu]
#                  [OPTIONS opt...])
# Compiles MODEL at build time into ${CMAKE_CURRENT_BINARY_DIR}/mcunet/<sym>/<sym>.o, .h and .json (report) with
# `mcunetc --target=TARGET_CPU (default cortex-m7) --name=sym [--board=b] [--pool p]... OPTIONS`, links the object
# into t and adds the header's directory to t's include path. The command re-runs when the model, mcunetc or the
# flags change (the flags are written to a stamp file at configure time, rewritten only when they differ).
# BOARD is one of mcunetc's boards (stm32f746, stm32h743, stm32f412: fit check); emulator names are ignored.
function(mcunet_add_model)
  cmake_parse_arguments(A "" "TARGET;MODEL;NAME;BOARD;TARGET_CPU" "POOLS;OPTIONS" ${ARGN})
  if(NOT A_TARGET OR NOT A_MODEL OR NOT A_NAME)
    message(FATAL_ERROR "mcunet_add_model: TARGET, MODEL and NAME are required")
  endif()
  if(A_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mcunet_add_model: unexpected arguments: ${A_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT A_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "mcunet_add_model: NAME '${A_NAME}' is not a C identifier")
  endif()
  if(NOT A_TARGET_CPU)
    set(A_TARGET_CPU cortex-m7)
  endif()
  get_filename_component(model "${A_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/mcunet/${A_NAME}")
  set(flags --target=${A_TARGET_CPU} --name=${A_NAME})
  if(A_BOARD AND NOT A_BOARD MATCHES "^(mps2-an500|mps2_an500|emulator)$")
    list(APPEND flags --board=${A_BOARD})
  endif()
  foreach(p ${A_POOLS})
    list(APPEND flags --pool ${p})
  endforeach()
  list(APPEND flags ${A_OPTIONS})
  file(MAKE_DIRECTORY "${dir}")
  string(REPLACE ";" " " flat "${MCUNET_MCUNETC} ${model} ${flags}")
  file(CONFIGURE OUTPUT "${dir}/${A_NAME}.flags" CONTENT "${flat}\n")
  add_custom_command(
    OUTPUT "${dir}/${A_NAME}.o" "${dir}/${A_NAME}.h" "${dir}/${A_NAME}.json"
    COMMAND "${MCUNET_MCUNETC}" "${model}" ${flags} -o "${dir}/${A_NAME}.o" "--report=${dir}/${A_NAME}.json"
    DEPENDS "${model}" "${MCUNET_MCUNETC}" "${dir}/${A_NAME}.flags"
    COMMENT "mcunetc ${A_NAME}: ${model}"
    VERBATIM)
  set_source_files_properties("${dir}/${A_NAME}.o" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  target_sources(${A_TARGET} PRIVATE "${dir}/${A_NAME}.o" "${dir}/${A_NAME}.h")
  target_include_directories(${A_TARGET} PRIVATE "${dir}")
  set_property(TARGET ${A_TARGET} APPEND PROPERTY MCUNET_MODEL_NAMES ${A_NAME})
  set_property(TARGET ${A_TARGET} APPEND PROPERTY MCUNET_MODEL_HEADERS "${dir}/${A_NAME}.h")
endfunction()

# mcunet_target_board(TARGET t BOARD stm32f746|stm32h743|mps2-an500 [ARENA_BYTES expr])
# Makes t firmware for BOARD: its startup.c and board.c (clock), the linker script with the board's memory map,
# newlib nano with semihosting, --gc-sections. For the STM32 boards the script is preprocessed from
# share/mcunet/boards/BOARD/BOARD.ld.in with every model header of t (call after mcunet_add_model): the arenas
# (.bss.*_arena) go to DTCM when ARENA_BYTES (default: the sum of the models' SYM_ARENA_SIZE; a firmware sharing
# one arena through SYM_run_with_arena passes that arena's size) fits beside the stack, else to SRAM.
function(mcunet_target_board)
  cmake_parse_arguments(A "" "TARGET;BOARD;ARENA_BYTES" "" ${ARGN})
  if(NOT A_TARGET OR NOT A_BOARD)
    message(FATAL_ERROR "mcunet_target_board: TARGET and BOARD are required")
  endif()
  set(board ${A_BOARD})
  if(board MATCHES "^(mps2-an500|emulator)$")
    set(board mps2_an500)
  endif()
  set(bdir "${MCUNET_SHARE_DIR}/boards")
  get_target_property(names ${A_TARGET} MCUNET_MODEL_NAMES)
  get_target_property(headers ${A_TARGET} MCUNET_MODEL_HEADERS)
  if(NOT names)
    message(FATAL_ERROR "mcunet_target_board: call mcunet_add_model for ${A_TARGET} first")
  endif()
  if(board STREQUAL "mps2_an500")
    set(startup "${MCUNET_SHARE_DIR}/harness/startup.c")
    set(script "${MCUNET_SHARE_DIR}/harness/mps2_an500.ld")
  elseif(board MATCHES "^(stm32f746|stm32h743)$")
    set(startup "${bdir}/${board}/startup.c")
    set(script "${CMAKE_CURRENT_BINARY_DIR}/mcunet/${A_TARGET}.${board}.ld")
    set(arena "${A_ARENA_BYTES}")
    set(dtcm "(0")
    if(NOT arena)
      set(arena "(0")
      foreach(n ${names})
        string(APPEND arena " + ${n}_ARENA_SIZE")
      endforeach()
      string(APPEND arena ")")
    endif()
    foreach(n ${names})
      string(APPEND dtcm " + ${n}_POOL_DTCM_SIZE")
    endforeach()
    string(APPEND dtcm ")")
    set(imacros)
    foreach(h ${headers})
      list(APPEND imacros -imacros "${h}")
    endforeach()
    add_custom_command(OUTPUT "${script}"
      COMMAND "${CMAKE_C_COMPILER}" -E -P -x c ${imacros} "-DMCUNET_ARENA_BYTES=${arena}"
              "-DMCUNET_DTCM_POOL_BYTES=${dtcm}" "${bdir}/${board}/${board}.ld.in" -o "${script}"
      DEPENDS "${bdir}/${board}/${board}.ld.in" "${bdir}/stm32_sections.ld.in" ${headers}
      COMMENT "linker script for ${board} (${A_TARGET})" VERBATIM)
    add_custom_target(${A_TARGET}_mcunet_ldscript DEPENDS "${script}")
    add_dependencies(${A_TARGET} ${A_TARGET}_mcunet_ldscript)
  else()
    message(FATAL_ERROR "mcunet_target_board: unknown BOARD '${A_BOARD}' (stm32f746, stm32h743, mps2-an500)")
  endif()
  target_sources(${A_TARGET} PRIVATE "${startup}" "${bdir}/${board}/board.c")
  target_include_directories(${A_TARGET} PRIVATE "${MCUNET_INCLUDE_DIR}")
  target_link_options(${A_TARGET} PRIVATE --specs=nano.specs --specs=rdimon.specs -nostartfiles "-T${script}"
    -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--no-enum-size-warning)
  target_link_libraries(${A_TARGET} PRIVATE m)
  set_property(TARGET ${A_TARGET} APPEND PROPERTY LINK_DEPENDS "${script}")
  set_target_properties(${A_TARGET} PROPERTIES SUFFIX ".elf")
endfunction()

# mcunet_example_main(TARGET t NAME sym INPUT file)
# Adds mcunet's example main (share/mcunet/firmware/fw_main.c: one timed SYM_run on INPUT, embedded in flash,
# the outputs printed as hex over semihosting) to t. The project must enable the ASM language.
function(mcunet_example_main)
  cmake_parse_arguments(A "" "TARGET;NAME;INPUT" "" ${ARGN})
  if(NOT A_TARGET OR NOT A_NAME OR NOT A_INPUT)
    message(FATAL_ERROR "mcunet_example_main: TARGET, NAME and INPUT are required")
  endif()
  get_filename_component(input "${A_INPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(fdir "${MCUNET_SHARE_DIR}/firmware")
  target_sources(${A_TARGET} PRIVATE "${fdir}/fw_main.c" "${fdir}/fw_input.S")
  target_include_directories(${A_TARGET} PRIVATE "${MCUNET_INCLUDE_DIR}")
  set_source_files_properties("${fdir}/fw_main.c" "${fdir}/fw_input.S" TARGET_DIRECTORY ${A_TARGET} PROPERTIES
    COMPILE_DEFINITIONS "MCUNET_FW_MODEL=${A_NAME};MCUNET_FW_HEADER=\"${A_NAME}.h\";MCUNET_FW_INPUT_FILE=\"${input}\"")
  set_source_files_properties("${fdir}/fw_input.S" TARGET_DIRECTORY ${A_TARGET} PROPERTIES OBJECT_DEPENDS "${input}")
endfunction()
