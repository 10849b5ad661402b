/* cg_ir.c: small LLVM IR builders the kernel generators share: loops, ifs, element access, tables, requantization. */
#include <stdio.h>
#include <string.h>

#include "cg_internal.h"

LLVMValueRef cg_i32(cg_t *cg, int64_t v) { return LLVMConstInt(cg->t_i32, (unsigned long long)v, 1); }

LLVMValueRef cg_f32(cg_t *cg, float v) { return LLVMConstReal(cg->t_f32, (double)v); }

/* Loop builder: a top-tested loop (header with the induction phi, body, exit). The O2 pipeline rotates it into a
 * bottom-tested loop since every trip count is a constant >= 1. Blocks are appended in creation order, which is
 * deterministic. */
LLVMValueRef cg_loop_begin(cg_t *cg, cg_loop_t *l, int32_t count, const char *name) {
  char buf[64];
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
  snprintf(buf, sizeof buf, "%s.head", name);
  l->header = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, buf);
  snprintf(buf, sizeof buf, "%s.body", name);
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, buf);
  snprintf(buf, sizeof buf, "%s.exit", name);
  l->exit = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, buf);
  l->count = count;
  LLVMBuildBr(cg->b, l->header);
  LLVMPositionBuilderAtEnd(cg->b, l->header);
  l->iv = LLVMBuildPhi(cg->b, cg->t_i32, name);
  LLVMValueRef zero = cg_i32(cg, 0);
  LLVMAddIncoming(l->iv, &zero, &pre, 1);
  LLVMValueRef cond = LLVMBuildICmp(cg->b, LLVMIntSLT, l->iv, cg_i32(cg, count), "");
  LLVMBuildCondBr(cg->b, cond, body, l->exit);
  LLVMPositionBuilderAtEnd(cg->b, body);
  return l->iv;
}

void cg_loop_end(cg_t *cg, cg_loop_t *l) {
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  LLVMValueRef next = LLVMBuildNUWAdd(cg->b, l->iv, cg_i32(cg, 1), "");
  LLVMSetNSW(next, 1);
  LLVMBuildBr(cg->b, l->header);
  LLVMAddIncoming(l->iv, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(cg->b, l->exit);
}

void cg_if_begin(cg_t *cg, LLVMValueRef cond, const char *name, LLVMBasicBlockRef *out_join) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s.then", name);
  LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, buf);
  snprintf(buf, sizeof buf, "%s.join", name);
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, buf);
  LLVMBuildCondBr(cg->b, cond, then, join);
  LLVMPositionBuilderAtEnd(cg->b, then);
  *out_join = join;
}

void cg_if_end(cg_t *cg, LLVMBasicBlockRef join) {
  LLVMBuildBr(cg->b, join);
  LLVMPositionBuilderAtEnd(cg->b, join);
}

LLVMValueRef cg_entry_alloca(cg_t *cg, LLVMTypeRef ty, const char *name) {
  LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(cg->fn);
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(cg->ctx);
  LLVMValueRef first = LLVMGetFirstInstruction(entry);
  if (first)
    LLVMPositionBuilderBefore(eb, first);
  else
    LLVMPositionBuilderAtEnd(eb, entry);
  LLVMValueRef a = LLVMBuildAlloca(eb, ty, name);
  LLVMDisposeBuilder(eb);
  return a;
}

LLVMValueRef cg_add(cg_t *cg, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(cg->b, a, b, ""); }

LLVMValueRef cg_addk(cg_t *cg, LLVMValueRef a, int64_t k) {
  return k == 0 ? a : LLVMBuildNSWAdd(cg->b, a, cg_i32(cg, k), "");
}

LLVMValueRef cg_mulk(cg_t *cg, LLVMValueRef a, int64_t k) {
  return k == 1 ? a : LLVMBuildNSWMul(cg->b, a, cg_i32(cg, k), "");
}

LLVMValueRef cg_mad(cg_t *cg, LLVMValueRef a, int64_t k, LLVMValueRef c) { return cg_add(cg, cg_mulk(cg, a, k), c); }

/* Element type of a dtype as stored in memory. */
static LLVMTypeRef elem_type(cg_t *cg, mcu_dtype_t dt) {
  switch (dt) {
  case MCU_DT_I8:
  case MCU_DT_U8:
    return cg->t_i8;
  case MCU_DT_I32:
    return cg->t_i32;
  case MCU_DT_F32:
    return cg->t_f32;
  }
  return cg->t_i8;
}

static unsigned access_align(const cg_view_t *v) {
  unsigned es = (unsigned)mcu_dtype_size(v->t->dtype);
  return v->align < es ? v->align : es;
}

LLVMValueRef cg_load(cg_t *cg, const cg_view_t *v, LLVMValueRef idx) {
  LLVMTypeRef et = elem_type(cg, v->t->dtype);
  LLVMValueRef ptr = LLVMBuildInBoundsGEP2(cg->b, et, v->ptr, &idx, 1, "");
  LLVMValueRef x = LLVMBuildLoad2(cg->b, et, ptr, "");
  LLVMSetAlignment(x, access_align(v));
  if (v->t->dtype == MCU_DT_I8) return LLVMBuildSExt(cg->b, x, cg->t_i32, "");
  if (v->t->dtype == MCU_DT_U8) return LLVMBuildZExt(cg->b, x, cg->t_i32, "");
  return x;
}

void cg_store(cg_t *cg, const cg_view_t *v, LLVMValueRef idx, LLVMValueRef val) {
  LLVMTypeRef et = elem_type(cg, v->t->dtype);
  LLVMValueRef ptr = LLVMBuildInBoundsGEP2(cg->b, et, v->ptr, &idx, 1, "");
  if (v->t->dtype == MCU_DT_I8 || v->t->dtype == MCU_DT_U8) val = LLVMBuildTrunc(cg->b, val, cg->t_i8, "");
  LLVMValueRef s = LLVMBuildStore(cg->b, val, ptr);
  LLVMSetAlignment(s, access_align(v));
}

/* Makes the private table global and loads entry idx. */
static LLVMValueRef table_load(cg_t *cg, const char *what, LLVMTypeRef et, LLVMValueRef *consts, int n,
                               LLVMValueRef idx) {
  char name[256];
  snprintf(name, sizeof name, "%s_l%d_%s", cg->sym, cg->layer_index, what);
  LLVMTypeRef at = LLVMArrayType2(et, (uint64_t)n);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, at, name);
  LLVMSetInitializer(g, LLVMConstArray2(et, consts, (uint64_t)n));
  LLVMSetGlobalConstant(g, 1);
  LLVMSetLinkage(g, LLVMInternalLinkage); /* a local symbol named SYM_...: private ones show up as .L names */
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  char sect[256];
  snprintf(sect, sizeof sect, ".rodata.%s", cg->sym);
  LLVMSetSection(g, sect);
  LLVMSetAlignment(g, 4);
  LLVMValueRef ptr = LLVMBuildInBoundsGEP2(cg->b, et, g, &idx, 1, "");
  LLVMValueRef x = LLVMBuildLoad2(cg->b, et, ptr, what);
  LLVMSetAlignment(x, 4);
  return x;
}

LLVMValueRef cg_table_i32(cg_t *cg, const char *what, const int32_t *vals, int n, LLVMValueRef idx) {
  int uniform = 1;
  for (int i = 1; i < n; ++i) uniform &= vals[i] == vals[0];
  if (uniform) return cg_i32(cg, n > 0 ? vals[0] : 0);
  LLVMValueRef consts[n];
  for (int i = 0; i < n; ++i) consts[i] = cg_i32(cg, vals[i]);
  return table_load(cg, what, cg->t_i32, consts, n, idx);
}

LLVMValueRef cg_table_f32(cg_t *cg, const char *what, const float *vals, int n, LLVMValueRef idx) {
  int uniform = 1;
  /* Compare bit patterns: equal floats with different bits (+0/-0) must keep their own entries. */
  for (int i = 1; i < n; ++i) uniform &= memcmp(&vals[i], &vals[0], sizeof(float)) == 0;
  if (uniform) return cg_f32(cg, n > 0 ? vals[0] : 0.0f);
  LLVMValueRef consts[n];
  for (int i = 0; i < n; ++i) consts[i] = cg_f32(cg, vals[i]);
  return table_load(cg, what, cg->t_f32, consts, n, idx);
}

LLVMValueRef cg_maxnum(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  if (cg->select_minmax) return LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGT, a, b, ""), a, b, "");
  LLVMValueRef args[2] = {a, b};
  return LLVMBuildCall2(cg->b, cg->ty_minmax, cg->fn_maxnum, args, 2, "");
}

LLVMValueRef cg_minnum(cg_t *cg, LLVMValueRef a, LLVMValueRef b) {
  if (cg->select_minmax) return LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOLT, a, b, ""), a, b, "");
  LLVMValueRef args[2] = {a, b};
  return LLVMBuildCall2(cg->b, cg->ty_minmax, cg->fn_minnum, args, 2, "");
}

/* Requantization tail (docs/ir.md steps 4-5). llvm.maxnum returns the non-NaN operand, so a NaN becomes lo, as the
 * spec says; the sign of a zero does not matter because the magic add maps both zeros to the same bits. On
 * Cortex-M7 maxnum/minnum are single VMAXNM/VMINNM instructions (on Cortex-M4 a VCMP and a conditional move,
 * cg_maxnum). VMAXNM turns a *signaling* NaN into NaN instead
 * of returning the other operand, but v always comes out of an fmul/fdiv, which quiets NaNs, so that cannot
 * happen here. */
LLVMValueRef cg_clamp_round(cg_t *cg, LLVMValueRef v, int32_t lo, int32_t hi, int32_t zp) {
  v = cg_maxnum(cg, v, cg_f32(cg, (float)lo));
  v = cg_minnum(cg, v, cg_f32(cg, (float)hi));
  LLVMValueRef t = LLVMBuildFAdd(cg->b, v, cg_f32(cg, 12582912.0f), "");
  LLVMValueRef bits = LLVMBuildBitCast(cg->b, t, cg->t_i32, "");
  LLVMValueRef r = LLVMBuildSub(cg->b, bits, cg_i32(cg, 0x4B400000), "");
  return LLVMBuildAdd(cg->b, r, cg_i32(cg, zp), "");
}

int cg_act_range(mcu_dtype_t dt, int32_t act_min, int32_t act_max, int32_t *out_lo, int32_t *out_hi) {
  int32_t tmin, tmax;
  switch (dt) {
  case MCU_DT_I8:
    tmin = -128, tmax = 127;
    break;
  case MCU_DT_U8:
    tmin = 0, tmax = 255;
    break;
  case MCU_DT_I32:
    tmin = INT32_MIN, tmax = INT32_MAX;
    break;
  default:
    return -1;
  }
  int32_t lo = act_min > tmin ? act_min : tmin;
  int32_t hi = act_max < tmax ? act_max : tmax;
  if (lo > hi) return -1;
  *out_lo = lo;
  *out_hi = hi;
  return 0;
}

void cg_qparams(const mcu_tensor_t *t, int i, float *out_scale, int32_t *out_zp) {
  int k = t->num_scales > 1 ? i : 0;
  *out_scale = (float)t->scales[k];
  *out_zp = t->zero_points[k];
}

void cg_call_mem(cg_t *cg, int may_overlap, LLVMValueRef dst, LLVMValueRef src, int64_t bytes) {
  LLVMValueRef fn = may_overlap ? cg->fn_memmove : cg->fn_memcpy;
  LLVMTypeRef params[3];
  LLVMGetParamTypes(cg->ty_memcpy, params);
  LLVMValueRef args[3] = {dst, src, LLVMConstInt(params[2], (unsigned long long)bytes, 0)};
  LLVMValueRef call = LLVMBuildCall2(cg->b, cg->ty_memcpy, fn, args, 3, "");
  unsigned kind = LLVMGetEnumAttributeKindForName("nobuiltin", 9);
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}
