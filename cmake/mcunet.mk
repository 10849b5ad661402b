# mcunet.mk: GNU make helper for firmware built without CMake: mcunetc at build time, board startup and linker script.
#
# Usage (see docs/integration.md):
#   MCUNET_BOARD := stm32f746            # stm32f746, stm32h743 or mps2_an500 (the QEMU emulator)
#   include /usr/share/mcunet/mcunet.mk  # or PREFIX/share/mcunet/mcunet.mk
#   $(eval $(call mcunet_model,net,models/net.tflite,--board=stm32f746))
#   fw.elf: main.c $(MCUNET_BOARD_SOURCES) $(MCUNET_OBJS) $(MCUNET_LDSCRIPT)
#   	$(MCUNET_CC) $(MCUNET_CFLAGS) main.c $(MCUNET_BOARD_SOURCES) $(MCUNET_OBJS) $(MCUNET_LDFLAGS) -o $@
# mcunet_model NAME,MODEL[,FLAGS] compiles MODEL into $(MCUNET_OUT)/NAME.o and NAME.h (symbol prefix NAME) with
# `mcunetc --target=cortex-m7 FLAGS`, again whenever the model, mcunetc or the flags change. The STM32 linker
# scripts are preprocessed with every model header: the arenas (.bss.*_arena) go to DTCM when MCUNET_ARENA_BYTES
# (default: the sum of the models' NAME_ARENA_SIZE) fits there beside the stack, else to SRAM. A firmware that
# runs its models on one shared arena (NAME_run_with_arena) sets MCUNET_ARENA_BYTES to that arena's size.
# The including Makefile names its default goal (.DEFAULT_GOAL := ...): the rules here come first otherwise.
# Known weakness: one board per make invocation (the variables are global).

MCUNET_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# Installed: PREFIX/share/mcunet/mcunet.mk beside firmware/, boards/, harness/; tools in PREFIX/bin.
MCUNET_SHARE ?= $(MCUNET_MK_DIR)
# MCUNETC: a path, or a name on PATH (then a new mcunetc does not trigger recompiling).
MCUNETC ?= $(abspath $(MCUNET_SHARE)/../../bin/mcunetc)
MCUNET_FIRMWARE_DIR ?= $(MCUNET_SHARE)/firmware
MCUNET_BOARDS_DIR ?= $(MCUNET_SHARE)/boards
MCUNET_HARNESS_DIR ?= $(MCUNET_SHARE)/harness
MCUNET_INCLUDE_DIR ?= $(abspath $(MCUNET_SHARE)/../../include/mcunet)
MCUNET_OUT ?= build/mcunet
MCUNET_CC ?= arm-none-eabi-gcc
MCUNET_BOARD ?= stm32f746

MCUNET_CPU_FLAGS := -mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard
MCUNET_CFLAGS = $(MCUNET_CPU_FLAGS) -O2 -ffunction-sections -fdata-sections -I$(MCUNET_INCLUDE_DIR) \
  -I$(MCUNET_FIRMWARE_DIR) -I$(MCUNET_OUT)
MCUNET_LDFLAGS = $(MCUNET_CPU_FLAGS) --specs=nano.specs --specs=rdimon.specs -nostartfiles -T $(MCUNET_LDSCRIPT) \
  -Wl,--gc-sections -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--no-enum-size-warning -lm
MCUNET_OBJS :=
MCUNET_HEADERS :=
MCUNET_MODELS :=

ifeq ($(MCUNET_BOARD),mps2_an500)
MCUNET_BOARD_SOURCES := $(MCUNET_HARNESS_DIR)/startup.c $(MCUNET_BOARDS_DIR)/mps2_an500/board.c
MCUNET_LDSCRIPT := $(MCUNET_HARNESS_DIR)/mps2_an500.ld
else ifneq ($(filter stm32f746 stm32h743,$(MCUNET_BOARD)),)
MCUNET_BOARD_SOURCES := $(MCUNET_BOARDS_DIR)/$(MCUNET_BOARD)/startup.c $(MCUNET_BOARDS_DIR)/$(MCUNET_BOARD)/board.c
MCUNET_LDSCRIPT := $(MCUNET_OUT)/$(MCUNET_BOARD).ld
else
$(error mcunet.mk: unknown MCUNET_BOARD '$(MCUNET_BOARD)' (stm32f746, stm32h743 or mps2_an500))
endif

# The arena bytes the linker script places (a C constant expression over the model headers' macros).
MCUNET_ARENA_BYTES ?= (0 $(foreach m,$(MCUNET_MODELS),+ $(m)_ARENA_SIZE))
MCUNET_DTCM_POOL_BYTES ?= (0 $(foreach m,$(MCUNET_MODELS),+ $(m)_POOL_DTCM_SIZE))

.PHONY: mcunet_force
mcunet_force:

define mcunet_model
MCUNET_MODELS += $(1)
MCUNET_OBJS += $(MCUNET_OUT)/$(1).o
MCUNET_HEADERS += $(MCUNET_OUT)/$(1).h
# The command line, rewritten only when it changes, so that a flag change recompiles the model.
$(MCUNET_OUT)/$(1).flags: mcunet_force
	@mkdir -p $(MCUNET_OUT)
	@echo '$(MCUNETC) $(2) --target=cortex-m7 --name=$(1) $(3)' | cmp -s - $$@ || \
	  echo '$(MCUNETC) $(2) --target=cortex-m7 --name=$(1) $(3)' > $$@
$(MCUNET_OUT)/$(1).h: $(MCUNET_OUT)/$(1).o
$(MCUNET_OUT)/$(1).o: $(2) $(wildcard $(MCUNETC)) $(MCUNET_OUT)/$(1).flags
	$(MCUNETC) $(2) --target=cortex-m7 --name=$(1) $(3) -o $$@ --report=$(MCUNET_OUT)/$(1).json
endef

.SECONDEXPANSION:
$(MCUNET_OUT)/$(MCUNET_BOARD).ld: $(MCUNET_BOARDS_DIR)/$(MCUNET_BOARD)/$(MCUNET_BOARD).ld.in \
    $(MCUNET_BOARDS_DIR)/stm32_sections.ld.in $$(MCUNET_HEADERS)
	@mkdir -p $(MCUNET_OUT)
	$(MCUNET_CC) -E -P -x c $(foreach h,$(MCUNET_HEADERS),-imacros $(h)) \
	  '-DMCUNET_ARENA_BYTES=$(MCUNET_ARENA_BYTES)' '-DMCUNET_DTCM_POOL_BYTES=$(MCUNET_DTCM_POOL_BYTES)' $< -o $@
