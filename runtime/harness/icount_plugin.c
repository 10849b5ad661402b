/* icount_plugin.c: QEMU TCG plugin that counts the guest instructions executed by each call of one function. */

/* Algorithm: every translated instruction gets an execution callback whose userdata packs its address and size.
 * The callback remembers the previously executed instruction. When the instruction at `entry` (the function's
 * first instruction, Thumb bit cleared) executes while idle, the return address is the instruction right after
 * the previous one (the call: `bl`/`blx`), and counting starts with the entry instruction itself. Every executed
 * instruction is counted until the instruction at the return address executes: that landing instruction is not
 * counted and the call's count is printed as "instructions: N". Callees are included, because everything executed
 * between entry and return is counted. Several calls give one line each.
 * Why: exact, repeatable counts of one call, independent of where the code lies, without relying on symbols.
 * Known weaknesses: a tail call (`b entry`) into the function or a recursive call of it would mis-pair entry and
 * return; exceptions taken during the call are counted; one vCPU only (mps2-an500 has one); a callback per
 * instruction makes emulation several times slower. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

__attribute__((visibility("default"))) int qemu_plugin_version = MCUNET_QEMU_PLUGIN_VERSION;

typedef struct icount_state {
  uint64_t entry;       /* address of the counted function's first instruction */
  int active;           /* inside a call */
  uint64_t return_addr; /* where the current call returns to */
  uint64_t count;       /* instructions of the current call so far */
  uint64_t prev_next;   /* address right after the previously executed instruction */
  uint64_t calls;       /* completed calls */
} icount_state_t;

static icount_state_t g_state;

/* Userdata of one instruction: address in the low 48 bits, size in bytes above. Guest addresses are 32-bit. */
#define PACK_SHIFT 48
static void *pack_insn(uint64_t vaddr, size_t size) {
  return (void *)(uintptr_t)((vaddr & ((UINT64_C(1) << PACK_SHIFT) - 1)) | ((uint64_t)size << PACK_SHIFT));
}

static void on_insn_exec(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  uint64_t packed = (uint64_t)(uintptr_t)userdata;
  uint64_t vaddr = packed & ((UINT64_C(1) << PACK_SHIFT) - 1);
  uint64_t size = packed >> PACK_SHIFT;
  icount_state_t *s = &g_state;
  if (s->active) {
    if (vaddr == s->return_addr) {
      char line[64];
      snprintf(line, sizeof line, "instructions: %" PRIu64 "\n", s->count);
      qemu_plugin_outs(line);
      s->active = 0;
      s->calls++;
    } else {
      s->count++;
    }
  }
  if (!s->active && vaddr == s->entry && s->prev_next != 0) {
    s->active = 1;
    s->return_addr = s->prev_next;
    s->count = 1;
  }
  s->prev_next = vaddr + size;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    void *ud = pack_insn(qemu_plugin_insn_vaddr(insn), qemu_plugin_insn_size(insn));
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

/* Arguments: entry=ADDR (decimal or 0x hex; the Thumb bit is ignored). */
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
  (void)info;
  int have_entry = 0;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "entry=", 6) == 0) {
      char *end = NULL;
      unsigned long long v = strtoull(argv[i] + 6, &end, 0);
      if (end == argv[i] + 6 || *end != 0) {
        fprintf(stderr, "mcunet-icount: bad entry address '%s'\n", argv[i] + 6);
        return -1;
      }
      g_state.entry = v & ~UINT64_C(1);
      have_entry = 1;
    } else {
      fprintf(stderr, "mcunet-icount: unknown argument '%s' (expected entry=ADDR)\n", argv[i]);
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
