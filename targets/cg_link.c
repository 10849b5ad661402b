/* cg_link.c: links the kernel library's embedded bitcode into a model's module and keeps its externals standard C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/BitReader.h>
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Target.h>

#include "cg_internal.h"

/* How the library gets into a model (the build side is the "kernel-library bitcode" block of CMakeLists.txt):
 * cg_kernel.c declares SYM_mcu_k_NAME for each library layer; cg_link_kernels parses the bitcode embedded for the
 * target, renames every definition SYM_<name> (so the object defines only SYM_* symbols), makes all of them
 * internal except the called entry points, links, then internalizes those too and marks them alwaysinline: the
 * default<O2> pipeline inlines each call into its layer function and folds the constant params into the code, and
 * whatever is unused was never linked or is deleted as dead internal code. After O2, cg_lower_mem_intrinsics turns
 * the llvm.mem* calls the backend would lower to __aeabi_mem* (ARM EABI helpers) into calls of memcpy/memmove/
 * memset, and cg_check_externals refuses anything outside <string.h>/<math.h>.
 * Known weaknesses: the whole library is parsed for every compilation that uses it (tens of KB, milliseconds);
 * alwaysinline gives each layer its own copy (as the native generators do) so code grows with the layer count;
 * helper calls the backend itself emits (e.g. __aeabi_ldivmod for a 64-bit division by a variable) are invisible
 * in IR and are caught only by the tests' arm-none-eabi-nm check; libm results (expf, ...) are the target libm's. */

/* scripts/embed.cmake output for the three targets (CMakeLists.txt, block "kernel-library bitcode"). */
extern const unsigned char mcu_kernels_bc_cortex_m7[], mcu_kernels_bc_cortex_m4[], mcu_kernels_bc_host[];
extern const size_t mcu_kernels_bc_cortex_m7_size, mcu_kernels_bc_cortex_m4_size, mcu_kernels_bc_host_size;

/* The first error the LLVM context reports while parsing or linking (warnings and remarks are dropped). */
typedef struct diag {
  char msg[512];
} diag_t;

static void on_diagnostic(LLVMDiagnosticInfoRef di, void *ctx) {
  diag_t *d = ctx;
  if (LLVMGetDiagInfoSeverity(di) != LLVMDSError || d->msg[0]) return;
  char *m = LLVMGetDiagInfoDescription(di);
  snprintf(d->msg, sizeof d->msg, "%s", m ? m : "?");
  LLVMDisposeMessage(m);
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Whether the module declares (calls) a library function: SYM_mcu_k_* without a body. */
static int needs_library(LLVMModuleRef mod, const char *sym) {
  char prefix[160];
  snprintf(prefix, sizeof prefix, "%s_%s", sym, CG_KERNEL_PREFIX);
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
    if (LLVMIsDeclaration(f) && starts_with(LLVMGetValueName2(f, &(size_t){0}), prefix)) return 1;
  return 0;
}

/* Attributes that would stop the inliner or change code generation: clang records the CPU and features of its
 * command line on every function; without them the functions use the target machine's, like the generated code,
 * so the target-feature compatibility check of the inliner always passes. */
static void strip_attributes(LLVMValueRef f) {
  static const char *const str_attrs[] = {"target-cpu", "target-features", "tune-cpu"};
  for (size_t i = 0; i < sizeof str_attrs / sizeof str_attrs[0]; ++i)
    LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, str_attrs[i], (unsigned)strlen(str_attrs[i]));
  /* optnone (which requires noinline) would keep a function out of the optimiser; a helper's own noinline stays. */
  unsigned optnone = LLVMGetEnumAttributeKindForName("optnone", 7);
  if (LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, optnone)) {
    LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, optnone);
    LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMGetEnumAttributeKindForName("noinline", 8));
  }
}

static void add_enum_attr(LLVMValueRef f, const char *name) {
  unsigned k = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMContextRef ctx = LLVMGetModuleContext(LLVMGetGlobalParent(f));
  LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, k, 0));
}

/* Renames every definition of the library to SYM_<name>. The entry points the model calls keep external linkage
 * (so the link resolves the model's declarations) and are listed in `out_names`; everything else becomes internal,
 * which also lets the linker skip what nothing references. Returns the number of names, or -1 out of memory. */
static int prepare_library(LLVMModuleRef lib, LLVMModuleRef mod, const char *sym, char ***out_names) {
  int cap = 1;
  for (LLVMValueRef f = LLVMGetFirstFunction(lib); f; f = LLVMGetNextFunction(f)) ++cap;
  char **names = calloc((size_t)cap, sizeof *names);
  if (!names) return -1;
  int n = 0;
  char buf[512];
  for (LLVMValueRef f = LLVMGetFirstFunction(lib); f; f = LLVMGetNextFunction(f)) {
    if (LLVMIsDeclaration(f)) continue;
    strip_attributes(f);
    if (LLVMGetLinkage(f) == LLVMPrivateLinkage) continue;
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    int needed = 0;
    snprintf(buf, sizeof buf, "%s_%s", sym, name);
    if (starts_with(name, CG_KERNEL_PREFIX)) {
      LLVMValueRef decl = LLVMGetNamedFunction(mod, buf);
      needed = decl && LLVMIsDeclaration(decl);
    }
    LLVMSetValueName2(f, buf, strlen(buf));
    if (!needed) {
      LLVMSetLinkage(f, LLVMInternalLinkage);
      LLVMSetVisibility(f, LLVMDefaultVisibility);
      continue;
    }
    /* Each layer gets its own copy specialised to its constants, as the native generators give. */
    add_enum_attr(f, "alwaysinline");
    names[n] = malloc(strlen(buf) + 1);
    if (!names[n]) {
      for (int i = 0; i < n; ++i) free(names[i]);
      free(names);
      return -1;
    }
    strcpy(names[n++], buf);
  }
  for (LLVMValueRef g = LLVMGetFirstGlobal(lib); g; g = LLVMGetNextGlobal(g)) {
    if (LLVMIsDeclaration(g) || LLVMGetLinkage(g) == LLVMPrivateLinkage) continue;
    size_t len;
    const char *name = LLVMGetValueName2(g, &len);
    if (starts_with(name, "llvm.")) continue;
    snprintf(buf, sizeof buf, "%s_%s", sym, name);
    LLVMSetValueName2(g, buf, strlen(buf));
    LLVMSetLinkage(g, LLVMInternalLinkage);
    LLVMSetVisibility(g, LLVMDefaultVisibility);
  }
  *out_names = names;
  return n;
}

mcu_status_t cg_link_kernels(LLVMModuleRef mod, const char *sym, mcu_target_t target) {
  if (!needs_library(mod, sym)) return NULL;
  const unsigned char *bc;
  size_t bc_size;
  if (target == MCU_TARGET_CORTEX_M7) {
    bc = mcu_kernels_bc_cortex_m7;
    bc_size = mcu_kernels_bc_cortex_m7_size;
  } else if (target == MCU_TARGET_CORTEX_M4) {
    bc = mcu_kernels_bc_cortex_m4;
    bc_size = mcu_kernels_bc_cortex_m4_size;
  } else {
    bc = mcu_kernels_bc_host;
    bc_size = mcu_kernels_bc_host_size;
  }
  LLVMContextRef ctx = LLVMGetModuleContext(mod);
  LLVMDiagnosticHandler old_handler = LLVMContextGetDiagnosticHandler(ctx);
  void *old_ctx = LLVMContextGetDiagnosticContext(ctx);
  diag_t d = {{0}};
  LLVMContextSetDiagnosticHandler(ctx, on_diagnostic, &d);

  mcu_status_t s = NULL;
  LLVMModuleRef lib = NULL;
  char **names = NULL;
  int num_names = 0;
  LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange((const char *)bc, bc_size, "kernels.bc", 0);
  if (bc_size == 0 || LLVMParseBitcodeInContext2(ctx, buf, &lib)) {
    s = mcu_status_errorf("codegen: cannot read the embedded kernel library: %s", d.msg[0] ? d.msg : "empty");
    lib = NULL;
  }
  LLVMDisposeMemoryBuffer(buf);
  if (!s) {
    const char *dl1 = LLVMGetDataLayoutStr(lib), *dl2 = LLVMGetDataLayoutStr(mod);
    const char *t1 = LLVMGetTarget(lib), *t2 = LLVMGetTarget(mod);
    if (strcmp(t1, t2) != 0 || strcmp(dl1, dl2) != 0)
      s = mcu_status_errorf("codegen: the kernel library was built for %s (%s), the module is %s (%s)", t1, dl1, t2,
                            dl2);
  }
  if (!s) {
    num_names = prepare_library(lib, mod, sym, &names);
    if (num_names < 0) {
      num_names = 0;
      s = mcu_status_errorf("codegen: out of memory");
    }
  }
  if (!s) {
    LLVMBool failed = LLVMLinkModules2(mod, lib); /* destroys lib */
    lib = NULL;
    if (failed) s = mcu_status_errorf("codegen: cannot link the kernel library: %s", d.msg[0] ? d.msg : "?");
  }
  if (lib) LLVMDisposeModule(lib);
  for (int i = 0; i < num_names; ++i) {
    LLVMValueRef f = s ? NULL : LLVMGetNamedFunction(mod, names[i]);
    if (f) {
      LLVMSetLinkage(f, LLVMInternalLinkage);
      LLVMSetVisibility(f, LLVMDefaultVisibility);
    }
    free(names[i]);
  }
  free(names);
  /* Every library function a layer calls must now have its body. */
  char prefix[160];
  snprintf(prefix, sizeof prefix, "%s_%s", sym, CG_KERNEL_PREFIX);
  for (LLVMValueRef f = s ? NULL : LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    if (LLVMIsDeclaration(f) && starts_with(name, prefix))
      s = mcu_status_errorf("codegen: the kernel library has no function %s (built without its k_*.c file?)",
                            name + strlen(sym) + 1);
  }
  LLVMContextSetDiagnosticHandler(ctx, old_handler, old_ctx);
  return s;
}

/* ---- after optimisation ---- */

/* The mem intrinsic a call invokes: 1 memcpy, 2 memmove, 3 memset, 0 none (the .inline forms must stay inline). */
static int mem_intrinsic_kind(LLVMValueRef inst) {
  if (!LLVMIsACallInst(inst)) return 0;
  LLVMValueRef callee = LLVMGetCalledValue(inst);
  if (!callee || !LLVMIsAFunction(callee)) return 0;
  size_t len;
  const char *n = LLVMGetValueName2(callee, &len);
  if (starts_with(n, "llvm.memcpy.") && !starts_with(n, "llvm.memcpy.inline.")) return 1;
  if (starts_with(n, "llvm.memmove.")) return 2;
  if (starts_with(n, "llvm.memset.") && !starts_with(n, "llvm.memset.inline.")) return 3;
  return 0;
}

/* Bytes up to which a constant-length mem intrinsic is left to the backend: it expands it inline (at most four
 * word stores on Cortex-M7, which allows unaligned word accesses) and never calls a helper for it. */
#define INLINE_MEM_BYTES 16

static LLVMValueRef get_c_function(LLVMModuleRef mod, const char *name, LLVMTypeRef ty) {
  LLVMValueRef f = LLVMGetNamedFunction(mod, name);
  if (!f) f = LLVMAddFunction(mod, name, ty);
  return f;
}

mcu_status_t cg_lower_mem_intrinsics(LLVMModuleRef mod) {
  LLVMContextRef ctx = LLVMGetModuleContext(mod);
  LLVMTypeRef t_ptr = LLVMPointerTypeInContext(ctx, 0), t_i32 = LLVMInt32TypeInContext(ctx);
  LLVMTypeRef t_size = LLVMIntPtrTypeInContext(ctx, LLVMGetModuleDataLayout(mod));
  LLVMTypeRef cpy_params[3] = {t_ptr, t_ptr, t_size}, set_params[3] = {t_ptr, t_i32, t_size};
  LLVMTypeRef ty_cpy = LLVMFunctionType(t_ptr, cpy_params, 3, 0), ty_set = LLVMFunctionType(t_ptr, set_params, 3, 0);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
  unsigned nobuiltin = LLVMGetEnumAttributeKindForName("nobuiltin", 9);
  mcu_status_t s = NULL;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f && !s; f = LLVMGetNextFunction(f)) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb && !s; bb = LLVMGetNextBasicBlock(bb)) {
      LLVMValueRef inst = LLVMGetFirstInstruction(bb);
      while (inst) {
        LLVMValueRef next = LLVMGetNextInstruction(inst);
        int kind = mem_intrinsic_kind(inst);
        LLVMValueRef len = kind ? LLVMGetOperand(inst, 2) : NULL;
        if (kind && LLVMIsAConstantInt(len) && LLVMConstIntGetZExtValue(len) <= INLINE_MEM_BYTES) kind = 0;
        if (kind) {
          static const char *const names[] = {"", "memcpy", "memmove", "memset"};
          LLVMTypeRef ty = kind == 3 ? ty_set : ty_cpy;
          LLVMValueRef fn = get_c_function(mod, names[kind], ty);
          if (LLVMGlobalGetValueType(fn) != ty) {
            s = mcu_status_errorf("codegen: '%s' is declared with an unexpected type", names[kind]);
            break;
          }
          LLVMPositionBuilderBefore(b, inst);
          LLVMValueRef args[3] = {LLVMGetOperand(inst, 0), LLVMGetOperand(inst, 1),
                                  LLVMBuildIntCast2(b, len, t_size, 0, "")};
          if (kind == 3) args[1] = LLVMBuildZExt(b, args[1], t_i32, "");
          LLVMValueRef call = LLVMBuildCall2(b, ty, fn, args, 3, "");
          LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, nobuiltin, 0));
          LLVMInstructionEraseFromParent(inst);
        }
        inst = next;
      }
    }
  }
  LLVMDisposeBuilder(b);
  return s;
}

/* The C functions generated code may call: <string.h>'s copies and <math.h>. */
static const char *const standard_functions[] = {
    "memcpy", "memmove", "memset", "expf", "exp", "exp2f", "exp2", "expm1f", "expm1", "logf", "log", "log2f",
    "log2", "log10f", "log10", "log1pf", "log1p", "powf", "pow", "sqrtf", "sqrt", "tanhf", "tanh", "sinf", "sin",
    "cosf", "cos", "tanf", "tan", "atanf", "atan", "atan2f", "atan2", "erff", "erf", "floorf", "floor", "ceilf",
    "ceil", "roundf", "round", "truncf", "trunc", "rintf", "rint", "nearbyintf", "nearbyint", "lroundf", "lround",
    "lrintf", "lrint", "fabsf", "fabs", "fmaxf", "fmax", "fminf", "fmin", "fmodf", "fmod", "frexpf", "frexp",
    "ldexpf", "ldexp", "scalbnf", "scalbn", "copysignf", "copysign", "sinhf", "sinh", "coshf", "cosh",
};

mcu_status_t cg_check_externals(LLVMModuleRef mod) {
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    size_t len;
    const char *name = LLVMGetValueName2(f, &len);
    if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f) != 0 || !LLVMGetFirstUse(f)) continue;
    int ok = 0;
    for (size_t i = 0; i < sizeof standard_functions / sizeof standard_functions[0] && !ok; ++i)
      ok = strcmp(name, standard_functions[i]) == 0;
    if (!ok) return mcu_status_errorf("codegen: the generated code would call '%s', not a standard C function", name);
  }
  for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g)) {
    size_t len;
    const char *name = LLVMGetValueName2(g, &len);
    if (LLVMIsDeclaration(g) && LLVMGetFirstUse(g))
      return mcu_status_errorf("codegen: the generated code would refer to the external variable '%s'", name);
  }
  return NULL;
}
