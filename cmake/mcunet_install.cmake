# mcunet_install.cmake: `cmake --install` and CPack (Debian package) for mcunet; included at the end of CMakeLists.txt.
#
# Installs: bin/ mcunetc, mcunet-run, mcunet-opt; lib/mcunet/mcunet-icount.so (mcunet-run --count);
# lib/cmake/mcunet/ mcunetConfig.cmake, mcunetConfigVersion.cmake, mcunetHelpers.cmake and the Cortex-M7 toolchain
# file; include/mcunet/ the firmware board interface (mcunet_fw.h) and the compiler's API headers;
# share/mcunet/ mcunet.mk, firmware/ (the example main), boards/ (startup, clock, linker scripts of STM32F746G-DISCO
# and NUCLEO-H743ZI; the emulator's board.c), harness/ (the emulator's startup.c and mps2_an500.ld, which
# mcunet-run also links), and docs/integration.md. `cpack -G DEB` builds the Debian package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS mcunetc mcunet-run mcunet-opt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS mcunet_icount LIBRARY DESTINATION lib/mcunet)

set(MCUNET_CMAKE_DIR lib/cmake/mcunet) # fixed "lib": mcunetConfig.cmake finds the prefix three levels up
write_basic_package_version_file(${CMAKE_BINARY_DIR}/mcunetConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT) # tools run on the host, firmware is 32-bit
install(FILES cmake/mcunetConfig.cmake cmake/mcunetHelpers.cmake cmake/mcunet-arm-none-eabi.cmake
  ${CMAKE_BINARY_DIR}/mcunetConfigVersion.cmake DESTINATION ${MCUNET_CMAKE_DIR})

install(FILES examples/firmware/mcunet_fw.h compiler/mcunet.h compiler/program.h compiler/status.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mcunet)

set(MCUNET_DATA_DIR ${CMAKE_INSTALL_DATADIR}/mcunet)
install(FILES cmake/mcunet.mk DESTINATION ${MCUNET_DATA_DIR})
install(FILES examples/firmware/fw_main.c examples/firmware/fw_input.S examples/firmware/mcunet_fw.h
  DESTINATION ${MCUNET_DATA_DIR}/firmware)
install(DIRECTORY examples/boards/ DESTINATION ${MCUNET_DATA_DIR}/boards)
install(FILES runtime/harness/startup.c runtime/harness/mps2_an500.ld DESTINATION ${MCUNET_DATA_DIR}/harness)
install(FILES docs/integration.md README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- CPack: a Debian package of the above (tools linked against Debian's LLVM/MLIR 22 shared libraries) ----
set(CPACK_PACKAGE_NAME mcunet)
set(CPACK_PACKAGE_VENDOR "mcunet")
set(CPACK_PACKAGE_CONTACT "mcunet maintainers <mcunet@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Neural-network compiler for Cortex-M microcontrollers (ONNX/TFLite to Thumb-2 objects)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libllvm22, libmlir-22, libprotobuf-c1, libstdc++6, libc6")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, cmake")
set(CPACK_GENERATOR DEB)
include(CPack)
