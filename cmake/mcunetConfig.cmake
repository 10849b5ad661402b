# mcunetConfig.cmake: find_package(mcunet) for firmware projects (mcunet_add_model, mcunet_target_board, ...).
#
#   find_package(mcunet REQUIRED)
#   add_executable(fw main.c)
#   mcunet_add_model(TARGET fw MODEL net.tflite NAME net [BOARD stm32f746] [POOLS dtcm:16384 sram:200000]
#                    [TARGET_CPU cortex-m7|host] [OPTIONS <more mcunetc options>])
#   mcunet_target_board(TARGET fw BOARD stm32f746|stm32h743|mps2-an500 [ARENA_BYTES <C expression>])
#   mcunet_example_main(TARGET fw NAME net INPUT input.bin)   # optional: the example main, the input in flash
# Sets MCUNET_MCUNETC, MCUNET_RUN, MCUNET_OPT (the tools), MCUNET_SHARE_DIR, MCUNET_INCLUDE_DIR, MCUNET_VERSION.
# Firmware for the Cortex-M7 boards is configured with the toolchain file beside this one:
#   -DCMAKE_TOOLCHAIN_FILE=<prefix>/lib/cmake/mcunet/mcunet-arm-none-eabi.cmake
# See docs/integration.md.
cmake_minimum_required(VERSION 3.20)
get_filename_component(_mcunet_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(MCUNET_MCUNETC "${_mcunet_prefix}/bin/mcunetc")
set(MCUNET_RUN "${_mcunet_prefix}/bin/mcunet-run")
set(MCUNET_OPT "${_mcunet_prefix}/bin/mcunet-opt")
set(MCUNET_SHARE_DIR "${_mcunet_prefix}/share/mcunet")
set(MCUNET_INCLUDE_DIR "${_mcunet_prefix}/include/mcunet")
set(MCUNET_TOOLCHAIN_FILE "${CMAKE_CURRENT_LIST_DIR}/mcunet-arm-none-eabi.cmake")
foreach(_f ${MCUNET_MCUNETC} ${MCUNET_SHARE_DIR}/firmware/fw_main.c ${MCUNET_INCLUDE_DIR}/mcunet_fw.h)
  if(NOT EXISTS "${_f}")
    set(mcunet_FOUND FALSE)
    set(mcunet_NOT_FOUND_MESSAGE "mcunet: ${_f} is missing from the installation at ${_mcunet_prefix}")
    return()
  endif()
endforeach()
include("${CMAKE_CURRENT_LIST_DIR}/mcunetHelpers.cmake")
