/* qemu_plugin_api.h: our own declarations of the QEMU 7.2 TCG plugin API (version 1) functions mcunet uses. */
#ifndef MCUNET_RUNTIME_HARNESS_QEMU_PLUGIN_API_H
#define MCUNET_RUNTIME_HARNESS_QEMU_PLUGIN_API_H

/* Debian ships qemu-system-arm without qemu-plugin.h. These declarations follow the ABI of QEMU 7.2's
 * include/qemu/qemu-plugin.h for the few entry points used here; QEMU resolves them from its own executable when
 * it loads the plugin. Only API version 1 is claimed (qemu_plugin_version). */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCUNET_QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* Opaque: only passed back to QEMU. */
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

void qemu_plugin_outs(const char *string);

#ifdef __cplusplus
}
#endif
#endif
