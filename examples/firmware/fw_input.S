/* fw_input.S: the firmware's test input, the raw tensor file MCUNET_FW_INPUT_FILE embedded in flash (.rodata). */
#ifndef MCUNET_FW_INPUT_FILE
#error "define MCUNET_FW_INPUT_FILE as the quoted path of the raw input tensor"
#endif
  .section .rodata.mcunet_fw_input, "a", %progbits
  .balign 16
  .global mcunet_fw_input
mcunet_fw_input:
  .incbin MCUNET_FW_INPUT_FILE
  .global mcunet_fw_input_end
mcunet_fw_input_end:
  .section .note.GNU-stack, "", %progbits
