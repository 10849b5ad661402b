/* main.c: the example firmware: runs a compiled model once on its bundled input and prints the prediction. */
#include <stdint.h>
#include <stdio.h>

#include MCUNET_DEMO_HEADER

/* The model's symbol prefix is `net` (mcunetc --name=net); buffers are static, sized by the header's macros. */
static float input[net_INPUT0_BYTES / sizeof(float)] __attribute__((aligned(16)));
static float logits[net_OUTPUT0_BYTES / sizeof(float)] __attribute__((aligned(16)));

int main(void) {
  FILE *f = fopen(MCUNET_DEMO_INPUT, "rb"); /* semihosting: a file on the host */
  if (!f || fread(input, 1, sizeof input, f) != sizeof input) {
    printf("cannot read %s\n", MCUNET_DEMO_INPUT);
    return 2;
  }
  fclose(f);
  int rc = net_run(input, logits);
  if (rc != 0) {
    printf("net_run failed: %d\n", rc);
    return 1;
  }
  int best = 0;
  int n = (int)(sizeof logits / sizeof logits[0]);
  printf("logits:");
  for (int i = 0; i < n; ++i) {
    printf(" %.4f", (double)logits[i]);
    if (logits[i] > logits[best]) best = i;
  }
  printf("\nprediction: class %d\n", best);
  printf("memory: arena (SRAM while running, scratch included) %u bytes, weights (flash) %u bytes\n",
         (unsigned)net_ARENA_SIZE, (unsigned)net_WEIGHTS_SIZE);
  return 0;
}
