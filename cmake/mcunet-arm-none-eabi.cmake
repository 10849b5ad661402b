# mcunet-arm-none-eabi.cmake: CMake toolchain file for Cortex-M7 firmware (arm-none-eabi-gcc, hard-float ABI).
# cmake -DCMAKE_TOOLCHAIN_FILE=PREFIX/lib/cmake/mcunet/mcunet-arm-none-eabi.cmake: the flags mcunetc's Cortex-M7
# objects need (-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard, Thumb); startup, specs and linker script come from
# mcunet_target_board().
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
find_program(MCUNET_ARM_GCC arm-none-eabi-gcc REQUIRED)
set(CMAKE_C_COMPILER ${MCUNET_ARM_GCC})
set(CMAKE_ASM_COMPILER ${MCUNET_ARM_GCC})
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
