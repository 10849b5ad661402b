/* icount_plugin.c: QEMU TCG plugin that counts the guest instructions executed by each call of one function. */

/* Algorithm: every translated instruction gets an execution callback whose userdata packs its address, size and
 * (for the first instruction of a layer function) the layer's number. The callback remembers the previously
 * executed instruction. When the instruction at `entry` (the function's first instruction, Thumb bit cleared)
 * executes while idle, the return address is the instruction right after the previous one (the call: `bl`/`blx`),
 * and counting starts with the entry instruction itself. Every executed instruction is counted until the
 * instruction at the return address executes: that landing instruction is not counted and the call's count is
 * printed as "instructions: N". Callees are included, because everything executed between entry and return is
 * counted. Several calls give one line each.
 * Per layer (optional `layer=ADDR` arguments, in layer order: the entry of each layer function SYM_l<N>_<op> that
 * SYM_run calls): the same entry/return pairing one level down. Inside the counted call, executing a layer entry
 * while no layer is open opens that layer until its return address; its instructions (callees included) go to the
 * layer, every other instruction of the call (SYM_run's own prologue, argument set-up, calls, epilogue) to "glue".
 * Before "instructions: N" the plugin prints "layer K: N calls C" for every layer and "glue: G"; the layers and the
 * glue add up to N exactly. The generated code is not changed for this, so N is the plain --count figure.
 * Why: exact, repeatable counts of one call, independent of where the code lies, without relying on symbols.
 * Known weaknesses: a tail call (`b entry`) into the function or a recursive call of it would mis-pair entry and
 * return (code generation never tail-calls a layer: SYM_run returns 0 after its last call); exceptions taken
 * during the call are counted; one vCPU only (mps2-an500 / mps2-an386 have one); a callback per instruction makes
 * emulation several times slower. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

__attribute__((visibility("default"))) int qemu_plugin_version = MCUNET_QEMU_PLUGIN_VERSION;

#define MAX_LAYERS 65535 /* layer tags are 16 bits in the userdata, 0 meaning "not a layer entry" */

typedef struct icount_state {
  uint64_t entry;       /* address of the counted function's first instruction */
  uint64_t *layer_entry;  /* num_layers entry addresses (Thumb bit cleared), in layer order */
  int num_layers;
  int in_layer;           /* a layer function of the current call is running */
  int layer;              /* which */
  uint64_t layer_return;  /* where it returns to (in SYM_run) */
  uint64_t *layer_count;  /* instructions per layer in the current call */
  uint64_t *layer_calls;  /* how many times each layer function was entered in the current call */
  uint64_t glue;          /* instructions of the current call outside every layer */
  int active;           /* inside a call */
  uint64_t return_addr; /* where the current call returns to */
  uint64_t count;       /* instructions of the current call so far */
  uint64_t prev_next;   /* address right after the previously executed instruction */
  uint64_t calls;       /* completed calls */
} icount_state_t;

static icount_state_t g_state;

/* Userdata of one instruction: address in the low 32 bits (guest addresses are 32-bit), the layer tag (layer
 * number + 1 for a layer function's entry, else 0) in bits 32-47, size in bytes above. */
#define TAG_SHIFT 32
#define PACK_SHIFT 48
static void *pack_insn(uint64_t vaddr, unsigned tag, size_t size) {
  return (void *)(uintptr_t)((vaddr & UINT64_C(0xffffffff)) | ((uint64_t)tag << TAG_SHIFT) |
                             ((uint64_t)size << PACK_SHIFT));
}

/* Prints the per-layer lines of the call that just ended (nothing without layer arguments). */
static void print_layers(const icount_state_t *s) {
  char line[96];
  for (int k = 0; k < s->num_layers; k++) {
    snprintf(line, sizeof line, "layer %d: %" PRIu64 " calls %" PRIu64 "\n", k, s->layer_count[k], s->layer_calls[k]);
    qemu_plugin_outs(line);
  }
  if (s->num_layers) {
    snprintf(line, sizeof line, "glue: %" PRIu64 "\n", s->glue);
    qemu_plugin_outs(line);
  }
}

static void on_insn_exec(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  uint64_t packed = (uint64_t)(uintptr_t)userdata;
  uint64_t vaddr = packed & UINT64_C(0xffffffff);
  unsigned tag = (unsigned)((packed >> TAG_SHIFT) & 0xffff);
  uint64_t size = packed >> PACK_SHIFT;
  icount_state_t *s = &g_state;
  if (s->active) {
    if (s->in_layer && vaddr == s->layer_return) s->in_layer = 0; /* back in SYM_run: glue from here */
    if (vaddr == s->return_addr) {
      char line[64];
      print_layers(s);
      snprintf(line, sizeof line, "instructions: %" PRIu64 "\n", s->count);
      qemu_plugin_outs(line);
      s->active = 0;
      s->calls++;
    } else {
      s->count++;
      if (!s->in_layer && tag != 0) {
        s->in_layer = 1;
        s->layer = (int)tag - 1;
        s->layer_return = s->prev_next;
        s->layer_calls[s->layer]++;
      }
      if (s->in_layer) {
        s->layer_count[s->layer]++;
      } else {
        s->glue++;
      }
    }
  }
  if (!s->active && vaddr == s->entry && s->prev_next != 0) {
    s->active = 1;
    s->return_addr = s->prev_next;
    s->count = 1;
    s->glue = 1;
    s->in_layer = 0;
    for (int k = 0; k < s->num_layers; k++) s->layer_count[k] = s->layer_calls[k] = 0;
  }
  s->prev_next = vaddr + size;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
    unsigned tag = 0;
    for (int k = 0; k < g_state.num_layers && !tag; k++)
      if (g_state.layer_entry[k] == vaddr) tag = (unsigned)k + 1;
    void *ud = pack_insn(vaddr, tag, qemu_plugin_insn_size(insn));
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn_exec, QEMU_PLUGIN_CB_NO_REGS, ud);
  }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  char line[96];
  if (g_state.active) {
    snprintf(line, sizeof line, "icount: call still running at exit after %" PRIu64 " instructions\n", g_state.count);
    qemu_plugin_outs(line);
  } else if (g_state.calls == 0) {
    qemu_plugin_outs("icount: entry never executed\n");
  }
}

/* Parses a decimal or 0x hex address (the Thumb bit is cleared). Returns 0 on success. */
static int parse_addr(const char *text, uint64_t *out) {
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 0);
  if (end == text || *end != 0 || v > 0xffffffffull) return -1;
  *out = v & ~UINT64_C(1);
  return 0;
}

/* Arguments: entry=ADDR, then optionally layer=ADDR once per layer, in layer order (decimal or 0x hex; the Thumb
 * bit is ignored). */
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
  (void)info;
  int have_entry = 0;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "entry=", 6) == 0) {
      if (parse_addr(argv[i] + 6, &g_state.entry)) {
        fprintf(stderr, "mcunet-icount: bad entry address '%s'\n", argv[i] + 6);
        return -1;
      }
      have_entry = 1;
    } else if (strncmp(argv[i], "layer=", 6) == 0) {
      if (!g_state.layer_entry) {
        g_state.layer_entry = calloc((size_t)argc, sizeof *g_state.layer_entry);
        g_state.layer_count = calloc((size_t)argc, sizeof *g_state.layer_count);
        g_state.layer_calls = calloc((size_t)argc, sizeof *g_state.layer_calls);
        if (!g_state.layer_entry || !g_state.layer_count || !g_state.layer_calls) {
          fprintf(stderr, "mcunet-icount: out of memory\n");
          return -1;
        }
      }
      if (g_state.num_layers >= MAX_LAYERS || parse_addr(argv[i] + 6, &g_state.layer_entry[g_state.num_layers])) {
        fprintf(stderr, "mcunet-icount: bad layer address '%s' (or more than %d layers)\n", argv[i] + 6, MAX_LAYERS);
        return -1;
      }
      g_state.num_layers++;
    } else {
      fprintf(stderr, "mcunet-icount: unknown argument '%s' (expected entry=ADDR or layer=ADDR)\n", argv[i]);
      return -1;
    }
  }
  if (!have_entry) {
    fprintf(stderr, "mcunet-icount: missing entry=ADDR\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
}
