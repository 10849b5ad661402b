/* codegen.c: mcu_codegen_emit: target machine, module build, default<O2>, and the object/assembly/IR output. */
#include "codegen.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Object.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <string.h>

#include "cg_internal.h"

/* The target contract: Cortex-M7 (Thumb-2, DSP, FPv5-D16, hard-float ABI, static relocation model), Cortex-M4
 * (Thumb-2, DSP, FPv4-SP-D16: single precision only, so a double operation would become a libgcc call, hard-float
 * ABI, static) or the host (default triple, generic CPU, position independent so the object links into a PIE or a
 * shared library). Both Cortex-M targets share the triple (the kernel library's bitcode is checked against it). */
static mcu_status_t make_target_machine(mcu_target_t target, LLVMTargetMachineRef *out_tm) {
  LLVMInitializeARMTargetInfo();
  LLVMInitializeARMTarget();
  LLVMInitializeARMTargetMC();
  LLVMInitializeARMAsmPrinter();
  LLVMInitializeARMAsmParser(); /* the kernel library's inline assembly (k_gemm_s8.h) is assembled in-process */
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  char *triple;
  const char *cpu, *features;
  LLVMRelocMode reloc;
  if (target == MCU_TARGET_CORTEX_M7) {
    triple = LLVMCreateMessage("thumbv7em-none-unknown-eabihf");
    cpu = "cortex-m7";
    features = "+dsp,+fp-armv8d16sp";
    reloc = LLVMRelocStatic;
  } else if (target == MCU_TARGET_CORTEX_M4) {
    triple = LLVMCreateMessage("thumbv7em-none-unknown-eabihf");
    cpu = "cortex-m4";
    features = "+dsp,+vfp4d16sp";
    reloc = LLVMRelocStatic;
  } else if (target == MCU_TARGET_HOST) {
    triple = LLVMGetDefaultTargetTriple();
    cpu = "generic";
    features = "";
    reloc = LLVMRelocPIC;
  } else {
    return mcu_status_errorf("codegen: unknown target %d", (int)target);
  }
  LLVMTargetRef t;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &t, &err)) {
    mcu_status_t s = mcu_status_errorf("codegen: no LLVM target for %s: %s", triple, err ? err : "?");
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return s;
  }
  *out_tm = LLVMCreateTargetMachine(t, triple, cpu, features, LLVMCodeGenLevelDefault, reloc, LLVMCodeModelDefault);
  LLVMDisposeMessage(triple);
  return *out_tm ? NULL : mcu_status_errorf("codegen: cannot create the target machine");
}

/* Bytes of the executable and of the constant sections of an ELF object. llvm-c/Object.h exposes no section flags,
 * so "executable" means a name starting with ".text" (where LLVM puts all code for ELF targets, incl.
 * -ffunction-sections names) and "constant" one starting with ".rodata". */
static mcu_status_t code_bytes(LLVMContextRef ctx, LLVMMemoryBufferRef obj, uint64_t *out_bytes,
                               uint64_t *out_rodata) {
  char *err = NULL;
  LLVMBinaryRef bin = LLVMCreateBinary(obj, ctx, &err);
  if (!bin) {
    mcu_status_t s = mcu_status_errorf("codegen: cannot read back the object: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return s;
  }
  uint64_t sum = 0, ro = 0;
  LLVMSectionIteratorRef it = LLVMObjectFileCopySectionIterator(bin);
  for (; !LLVMObjectFileIsSectionIteratorAtEnd(bin, it); LLVMMoveToNextSection(it)) {
    const char *name = LLVMGetSectionName(it);
    if (name && strncmp(name, ".text", 5) == 0) sum += LLVMGetSectionSize(it);
    if (name && strncmp(name, ".rodata", 7) == 0) ro += LLVMGetSectionSize(it);
  }
  LLVMDisposeSectionIterator(it);
  LLVMDisposeBinary(bin);
  *out_bytes = sum;
  *out_rodata = ro;
  return NULL;
}

static mcu_status_t emit_to_memory(LLVMTargetMachineRef tm, LLVMModuleRef mod, LLVMCodeGenFileType ft,
                                   LLVMMemoryBufferRef *out_buf) {
  char *err = NULL;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, ft, &err, out_buf)) {
    mcu_status_t s = mcu_status_errorf("codegen: LLVM emission failed: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return s;
  }
  return NULL;
}

static mcu_status_t write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return mcu_status_errorf("codegen: cannot open %s for writing", path);
  size_t w = fwrite(data, 1, n, f);
  int rc = fclose(f);
  if (w != n || rc != 0) return mcu_status_errorf("codegen: cannot write %s", path);
  return NULL;
}

/* Puts every defined function without a section (all but SYM_run) into .text.SYM, so a linker script can place
 * the model's code and --gc-sections can drop SYM_run with the static arena it alone references. */
static void set_code_section(LLVMModuleRef mod, const char *sym) {
  char sect[160];
  snprintf(sect, sizeof sect, ".text.%s", sym);
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    const char *cur = LLVMGetSection(f);
    if (!LLVMIsDeclaration(f) && (!cur || !cur[0])) LLVMSetSection(f, sect);
  }
}

/* Builds the module of `p` for `tm` (with the kernel library linked in when a layer calls it), verifies and
 * optimises it, and leaves only standard C functions to call. */
static mcu_status_t build_optimized(LLVMContextRef ctx, LLVMTargetMachineRef tm, mcu_target_t target,
                                    const mcu_program_t *p, LLVMModuleRef *out_mod) {
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(p->name ? p->name : "", ctx);
  /* The source file name lands in the object's STT_FILE symbol: keep it the program name, never a path. */
  if (p->name) LLVMSetSourceFileName(mod, p->name, strlen(p->name));
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(mod, td);
  LLVMDisposeTargetData(td);

  mcu_status_t s = cg_build_module(p, mod, target);
  if (!s) s = cg_link_kernels(mod, p->name, target);
  if (!s) set_code_section(mod, p->name);
  char *msg = NULL;
  if (!s && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
    s = mcu_status_errorf("codegen: internal error, invalid LLVM IR: %s", msg ? msg : "?");
  LLVMDisposeMessage(msg);
  if (!s) {
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, "default<O2>", tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    if (e) {
      char *em = LLVMGetErrorMessage(e);
      s = mcu_status_errorf("codegen: optimisation failed: %s", em);
      LLVMDisposeErrorMessage(em);
    }
  }
  if (!s) s = cg_lower_mem_intrinsics(mod);
  if (!s) s = cg_check_externals(mod);
  if (s) {
    LLVMDisposeModule(mod);
    return s;
  }
  *out_mod = mod;
  return NULL;
}

/* Emits `mod` as an object into memory; optionally writes it to `path` and measures its code and constant bytes. */
static mcu_status_t emit_object(LLVMContextRef ctx, LLVMTargetMachineRef tm, LLVMModuleRef mod, const char *path,
                                mcu_codegen_stats_t *out_stats) {
  LLVMMemoryBufferRef buf = NULL;
  mcu_status_t s = emit_to_memory(tm, mod, LLVMObjectFile, &buf);
  if (!s && out_stats) s = code_bytes(ctx, buf, &out_stats->code_bytes, &out_stats->rodata_bytes);
  if (!s && path) s = write_file(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
  if (buf) LLVMDisposeMemoryBuffer(buf);
  return s;
}

/* Writes the requested form. The object's code size for a text emission comes from the very object the OBJ path
 * would produce: LLVM IR is printed before codegen (which may rewrite the module) and then compiled; assembly
 * needs a second, identical build (a cloned module can compile to different code, observed on LLVM 22). */
static mcu_status_t emit_with(LLVMContextRef ctx, LLVMTargetMachineRef tm, mcu_target_t target,
                              const mcu_program_t *p, mcu_emit_t kind, const char *path,
                              mcu_codegen_stats_t *out_stats) {
  if (kind != MCU_EMIT_OBJ && kind != MCU_EMIT_ASM && kind != MCU_EMIT_LLVM)
    return mcu_status_errorf("codegen: cannot emit kind %d (only obj, asm and llvm)", (int)kind);
  LLVMModuleRef mod = NULL;
  mcu_status_t s = build_optimized(ctx, tm, target, p, &mod);
  if (s) return s;
  if (kind == MCU_EMIT_OBJ) {
    s = emit_object(ctx, tm, mod, path, out_stats);
  } else if (kind == MCU_EMIT_LLVM) {
    char *text = LLVMPrintModuleToString(mod);
    s = write_file(path, text, strlen(text));
    LLVMDisposeMessage(text);
    if (!s && out_stats) s = emit_object(ctx, tm, mod, NULL, out_stats);
  } else {
    LLVMMemoryBufferRef buf = NULL;
    s = emit_to_memory(tm, mod, LLVMAssemblyFile, &buf);
    if (!s) s = write_file(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
    if (buf) LLVMDisposeMemoryBuffer(buf);
    if (!s && out_stats) {
      LLVMModuleRef again = NULL;
      s = build_optimized(ctx, tm, target, p, &again);
      if (!s) s = emit_object(ctx, tm, again, NULL, out_stats);
      if (again) LLVMDisposeModule(again);
    }
  }
  LLVMDisposeModule(mod);
  return s;
}

mcu_status_t mcu_codegen_emit(const mcu_program_t *p, mcu_target_t target, mcu_emit_t kind, const char *path,
                              mcu_codegen_stats_t *out_stats) {
  if (!p || !path) return mcu_status_errorf("codegen: no program or no output path");
  LLVMTargetMachineRef tm = NULL;
  mcu_status_t s = make_target_machine(target, &tm);
  if (s) return s;
  LLVMContextRef ctx = LLVMContextCreate();
  s = emit_with(ctx, tm, target, p, kind, path, out_stats);
  LLVMContextDispose(ctx);
  LLVMDisposeTargetMachine(tm);
  return s;
}
