/* onnx_export.c: nas_net_t -> ONNX ModelProto (protobuf-c), QLinearConv / QLinearAdd / QLinearGlobalAveragePool.
 * Why QOperator form: every layer is one node the ONNX front end maps straight to an int8 mcu op, ReLU6 is the
 * output quantization's clamp (as in TF Lite's int8 MCUNet models), so nothing is left for fold-qdq to pattern-match.
 * Weights are random (splitmix64 from the seed), scaled per output channel by 1/sqrt(fan-in) so activations neither
 * vanish nor saturate; they stand for a trained network's shapes, not its accuracy.
 * Weakness: all activations of one kind share a scale (a trained model's differ layer by layer). */
#define _POSIX_C_SOURCE 200809L /* fsync, clock_gettime, getpid */
#include "onnx_export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"

#define RELU_SCALE (6.0f / 255.0f)
#define RELU_ZP (-128)
#define LIN_SCALE (1.0f / 16.0f)
#define IN_SCALE (1.0f / 64.0f)

/* Every allocation of one export, freed together. */
typedef struct {
  void **blocks;
  size_t count, cap;
  Onnx__NodeProto **nodes;
  size_t n_nodes, cap_nodes;
  Onnx__TensorProto **inits;
  size_t n_inits, cap_inits;
  uint64_t rng;
  int failed;
  int counter;
} builder_t;

static void *b_alloc(builder_t *b, size_t size) {
  if (b->failed) return NULL;
  if (b->count == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    void **t = realloc(b->blocks, cap * sizeof *t);
    if (!t) {
      b->failed = 1;
      return NULL;
    }
    b->blocks = t, b->cap = cap;
  }
  void *p = calloc(1, size ? size : 1);
  if (!p) {
    b->failed = 1;
    return NULL;
  }
  return b->blocks[b->count++] = p;
}

static char *b_strdup(builder_t *b, const char *s) {
  char *p = b_alloc(b, strlen(s) + 1);
  if (p) strcpy(p, s);
  return p;
}

static int grow(builder_t *b, void ***arr, size_t n, size_t *cap) {
  if (n < *cap) return 0;
  size_t c = *cap ? *cap * 2 : 64;
  void **t = realloc(*arr, c * sizeof *t);
  if (!t) return b->failed = 1;
  *arr = t, *cap = c;
  return 0;
}

/* An initializer: raw little-endian data of `count` elements of `elem` bytes (this host is little-endian). */
static Onnx__TensorProto *add_init(builder_t *b, const char *name, int32_t dtype, int rank, const int64_t *dims,
                                   const void *data, size_t bytes) {
  if (grow(b, (void ***)&b->inits, b->n_inits, &b->cap_inits)) return NULL;
  Onnx__TensorProto *t = b_alloc(b, sizeof *t);
  int64_t *d = b_alloc(b, sizeof(int64_t) * (size_t)(rank ? rank : 1));
  uint8_t *raw = b_alloc(b, bytes);
  if (!t || !d || !raw) return NULL;
  onnx__tensor_proto__init(t);
  if (rank) memcpy(d, dims, sizeof(int64_t) * (size_t)rank); /* a scalar has no dims (dims may be NULL) */
  if (bytes) memcpy(raw, data, bytes);
  t->n_dims = (size_t)rank, t->dims = d;
  t->has_data_type = 1, t->data_type = dtype;
  t->name = b_strdup(b, name);
  t->has_raw_data = 1, t->raw_data.len = bytes, t->raw_data.data = raw;
  b->inits[b->n_inits++] = t;
  return t;
}

static void add_scalar_f(builder_t *b, const char *name, float v) {
  add_init(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, NULL, &v, 4);
}
static void add_scalar_i8(builder_t *b, const char *name, int8_t v) {
  add_init(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 0, NULL, &v, 1);
}

static Onnx__AttributeProto *attr_ints(builder_t *b, const char *name, int n, const int64_t *v) {
  Onnx__AttributeProto *a = b_alloc(b, sizeof *a);
  int64_t *d = b_alloc(b, sizeof(int64_t) * (size_t)n);
  if (!a || !d) return NULL;
  onnx__attribute_proto__init(a);
  a->name = b_strdup(b, name);
  a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  memcpy(d, v, sizeof(int64_t) * (size_t)n);
  a->n_ints = (size_t)n, a->ints = d;
  return a;
}

static Onnx__AttributeProto *attr_int(builder_t *b, const char *name, int64_t v) {
  Onnx__AttributeProto *a = b_alloc(b, sizeof *a);
  if (!a) return NULL;
  onnx__attribute_proto__init(a);
  a->name = b_strdup(b, name);
  a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  a->has_i = 1, a->i = v;
  return a;
}

static Onnx__NodeProto *add_node(builder_t *b, const char *op, const char *domain, const char *name, int n_in,
                                 const char *const *in, const char *out, int n_attr, Onnx__AttributeProto **attrs) {
  if (grow(b, (void ***)&b->nodes, b->n_nodes, &b->cap_nodes)) return NULL;
  Onnx__NodeProto *nd = b_alloc(b, sizeof *nd);
  char **ins = b_alloc(b, sizeof(char *) * (size_t)n_in);
  char **outs = b_alloc(b, sizeof(char *));
  Onnx__AttributeProto **as = b_alloc(b, sizeof *as * (size_t)(n_attr ? n_attr : 1));
  if (!nd || !ins || !outs || !as) return NULL;
  onnx__node_proto__init(nd);
  for (int i = 0; i < n_in; ++i) ins[i] = b_strdup(b, in[i]);
  outs[0] = b_strdup(b, out);
  for (int i = 0; i < n_attr; ++i) as[i] = attrs[i];
  nd->n_input = (size_t)n_in, nd->input = ins;
  nd->n_output = 1, nd->output = outs;
  nd->name = b_strdup(b, name);
  nd->op_type = b_strdup(b, op);
  if (domain) nd->domain = b_strdup(b, domain);
  nd->n_attribute = (size_t)n_attr, nd->attribute = as;
  b->nodes[b->n_nodes++] = nd;
  return nd;
}

/* One QLinearConv. With `qc` NULL the weights are random: [out, in/group, k, k] uniform int8 in [-127, 127],
 * per-channel scale ~ 1/sqrt(fan-in), bias int32 ~ uniform real [-0.25, 0.25]; otherwise qc's int8 weights, weight
 * scales and int32 biases. The output is quantized with the initializers ys / yz. Writes the output name. */
static void conv(builder_t *b, const char *name, const char *x, float x_scale, const char *xs, const char *xz, int cin,
                 int cout, int k, int stride, int group, const char *ys, const char *yz, const nas_qconv_t *qc,
                 char *out_name, size_t out_cap) {
  int cin_g = cin / group;
  size_t nw = (size_t)cout * (size_t)cin_g * (size_t)(k * k);
  int8_t *w = malloc(nw ? nw : 1);
  float *ws = malloc(sizeof(float) * (size_t)cout);
  int8_t *wz = calloc((size_t)cout, 1);
  int32_t *bias = malloc(sizeof(int32_t) * (size_t)cout);
  if (!w || !ws || !wz || !bias) {
    b->failed = 1;
    goto done;
  }
  if (qc) {
    memcpy(w, qc->w, nw);
    memcpy(ws, qc->w_scale, sizeof(float) * (size_t)cout);
    memcpy(bias, qc->bias, sizeof(int32_t) * (size_t)cout);
  } else {
    for (size_t i = 0; i < nw; ++i) w[i] = (int8_t)((int)nas_rand_below(&b->rng, 255) - 127);
    double fan_in = (double)cin_g * k * k;
    for (int c = 0; c < cout; ++c) {
      /* a real weight std of about 1.7/sqrt(fan_in) keeps the output std near 1.7x the input's (uniform: 73 = std) */
      ws[c] = (float)((0.75 + 0.5 * nas_rand_unit(&b->rng)) * 1.7 / (73.0 * sqrt(fan_in)));
      double real = (nas_rand_unit(&b->rng) - 0.5) * 0.5;
      bias[c] = (int32_t)lrint(real / ((double)x_scale * ws[c]));
    }
  }
  char wn[96], wsn[96], wzn[96], bn[96];
  snprintf(wn, sizeof wn, "%s.weight", name);
  snprintf(wsn, sizeof wsn, "%s.weight_scale", name);
  snprintf(wzn, sizeof wzn, "%s.weight_zero_point", name);
  snprintf(bn, sizeof bn, "%s.bias", name);
  int64_t wd[4] = {cout, cin_g, k, k}, cd[1] = {cout};
  add_init(b, wn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 4, wd, w, nw);
  add_init(b, wsn, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, cd, ws, sizeof(float) * (size_t)cout);
  add_init(b, wzn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, cd, wz, (size_t)cout);
  add_init(b, bn, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, cd, bias, sizeof(int32_t) * (size_t)cout);
  snprintf(out_name, out_cap, "%s.out", name);
  const char *in[9] = {x, xs, xz, wn, wsn, wzn, ys, yz, bn};
  int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {k / 2, k / 2, k / 2, k / 2};
  Onnx__AttributeProto *attrs[4] = {attr_ints(b, "kernel_shape", 2, ks), attr_ints(b, "strides", 2, st),
                                    attr_ints(b, "pads", 4, pads), attr_int(b, "group", group)};
  add_node(b, "QLinearConv", NULL, name, 9, in, out_name, 4, attrs);
done:
  free(w), free(ws), free(wz), free(bias);
}

/* The quantization initializers of activation tensor `tid` (named `tname`): with q NULL (seeded export) the shared
 * ones (input, ReLU6 or linear); otherwise "<tname>.scale" / "<tname>.zero_point" from q, added here (call once per
 * tensor). Writes the names and the scale. */
typedef struct {
  char s[112], z[112];
  float scale;
} qnames_t;
static void qnames(builder_t *b, const nas_qnet_t *q, int tid, const char *tname, int relu6, qnames_t *out) {
  if (!q) {
    snprintf(out->s, sizeof out->s, "%s", tid == NAS_T_INPUT ? "input_scale" : relu6 ? "relu6_scale" : "linear_scale");
    snprintf(out->z, sizeof out->z, "%s",
             tid == NAS_T_INPUT ? "zero" : relu6 ? "relu6_zero_point" : "linear_zero_point");
    out->scale = tid == NAS_T_INPUT ? IN_SCALE : relu6 ? RELU_SCALE : LIN_SCALE;
    return;
  }
  snprintf(out->s, sizeof out->s, "%s.scale", tname);
  snprintf(out->z, sizeof out->z, "%s.zero_point", tname);
  out->scale = q->t[tid].scale;
  add_scalar_f(b, out->s, q->t[tid].scale);
  add_scalar_i8(b, out->z, (int8_t)q->t[tid].zero_point);
}

static Onnx__ValueInfoProto *value_info(builder_t *b, const char *name, int rank, const int64_t *dims) {
  Onnx__ValueInfoProto *v = b_alloc(b, sizeof *v);
  Onnx__TypeProto *tp = b_alloc(b, sizeof *tp);
  Onnx__TypeProto__Tensor *tt = b_alloc(b, sizeof *tt);
  Onnx__TensorShapeProto *sh = b_alloc(b, sizeof *sh);
  Onnx__TensorShapeProto__Dimension **ds = b_alloc(b, sizeof *ds * (size_t)rank);
  if (!v || !tp || !tt || !sh || !ds) return NULL;
  onnx__value_info_proto__init(v);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  onnx__tensor_shape_proto__init(sh);
  for (int i = 0; i < rank; ++i) {
    ds[i] = b_alloc(b, sizeof **ds);
    if (!ds[i]) return NULL;
    onnx__tensor_shape_proto__dimension__init(ds[i]);
    ds[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    ds[i]->dim_value = dims[i];
  }
  sh->n_dim = (size_t)rank, sh->dim = ds;
  tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT8, tt->shape = sh;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
  v->name = b_strdup(b, name), v->type = tp;
  return v;
}

static void builder_free(builder_t *b) {
  for (size_t i = 0; i < b->count; ++i) free(b->blocks[i]);
  free(b->blocks), free(b->nodes), free(b->inits);
}

/* The graph of `n` into b: seeded weights and the fixed activation quantization when q is NULL, else q's. */
static void build_graph(builder_t *b, const nas_net_t *n, const nas_qnet_t *q) {
  if (!q) {
    add_scalar_f(b, "input_scale", IN_SCALE);
    add_scalar_i8(b, "zero", 0);
    add_scalar_f(b, "relu6_scale", RELU_SCALE);
    add_scalar_i8(b, "relu6_zero_point", RELU_ZP);
    add_scalar_f(b, "linear_scale", LIN_SCALE);
    add_scalar_i8(b, "linear_zero_point", 0);
  }
#define QC(slot) (q ? &q->conv[slot] : NULL)
  char cur[96], t1[96], t2[96];
  qnames_t in_q, cur_q, e_q, d_q, p_q;
  qnames(b, q, NAS_T_INPUT, "input", 0, &in_q);
  qnames(b, q, nas_t_conv(NAS_SLOT_FIRST), "first_conv.out", 1, &cur_q);
  conv(b, "first_conv", "input", in_q.scale, in_q.s, in_q.z, n->in_channels, n->first_channels, n->first_kernel,
       n->first_stride, 1, cur_q.s, cur_q.z, QC(NAS_SLOT_FIRST), cur, sizeof cur);
  for (int i = 0; i < n->num_blocks && !b->failed; ++i) {
    const nas_block_t *bl = &n->blocks[i];
    char name[64], block_in[96];
    snprintf(block_in, sizeof block_in, "%s", cur);
    qnames_t in_blk = cur_q, *xq = &cur_q;
    const char *x = cur;
    if (bl->expand != 1) {
      snprintf(name, sizeof name, "blocks.%d.expand", i);
      snprintf(t1, sizeof t1, "%s.out", name);
      qnames(b, q, nas_t_conv(nas_slot_expand(i)), t1, 1, &e_q);
      conv(b, name, x, xq->scale, xq->s, xq->z, bl->in_channels, bl->mid_channels, 1, 1, 1, e_q.s, e_q.z,
           QC(nas_slot_expand(i)), t1, sizeof t1);
      x = t1, xq = &e_q;
    }
    snprintf(name, sizeof name, "blocks.%d.depthwise", i);
    snprintf(t2, sizeof t2, "%s.out", name);
    qnames(b, q, nas_t_conv(nas_slot_dw(i)), t2, 1, &d_q);
    conv(b, name, x, xq->scale, xq->s, xq->z, bl->mid_channels, bl->mid_channels, bl->kernel, bl->stride,
         bl->mid_channels, d_q.s, d_q.z, QC(nas_slot_dw(i)), t2, sizeof t2);
    snprintf(name, sizeof name, "blocks.%d.project", i);
    snprintf(cur, sizeof cur, "%s.out", name);
    qnames(b, q, nas_t_conv(nas_slot_proj(i)), cur, 0, &p_q);
    conv(b, name, t2, d_q.scale, d_q.s, d_q.z, bl->mid_channels, bl->out_channels, 1, 1, 1, p_q.s, p_q.z,
         QC(nas_slot_proj(i)), cur, sizeof cur);
    cur_q = p_q;
    if (bl->residual) {
      char out[96];
      qnames_t a_q;
      snprintf(name, sizeof name, "blocks.%d.add", i);
      snprintf(out, sizeof out, "%s.out", name);
      qnames(b, q, nas_t_add(i), out, 0, &a_q);
      const char *in[8] = {cur, p_q.s, p_q.z, block_in, in_blk.s, in_blk.z, a_q.s, a_q.z};
      add_node(b, "QLinearAdd", "com.microsoft", name, 8, in, out, 0, NULL);
      snprintf(cur, sizeof cur, "%s", out);
      cur_q = a_q;
    }
  }
  int c = n->num_blocks ? n->blocks[n->num_blocks - 1].out_channels : n->first_channels;
  if (n->mix_channels) {
    qnames_t m_q;
    qnames(b, q, nas_t_conv(NAS_SLOT_MIX), "feature_mix.out", 1, &m_q);
    conv(b, "feature_mix", cur, cur_q.scale, cur_q.s, cur_q.z, c, n->mix_channels, 1, 1, 1, m_q.s, m_q.z,
         QC(NAS_SLOT_MIX), t1, sizeof t1);
    snprintf(cur, sizeof cur, "%s", t1);
    cur_q = m_q;
    c = n->mix_channels;
  }
  qnames_t pool_q = cur_q, out_q;
  if (q) qnames(b, q, NAS_T_POOL, "global_pool.out", 0, &pool_q);
  {
    const char *in[5] = {cur, cur_q.s, cur_q.z, pool_q.s, pool_q.z};
    Onnx__AttributeProto *a[1] = {attr_int(b, "channels_last", 0)};
    add_node(b, "QLinearGlobalAveragePool", "com.microsoft", "global_pool", 5, in, "global_pool.out", 1, a);
  }
  qnames(b, q, nas_t_conv(NAS_SLOT_CLS), "classifier.out", 0, &out_q);
  conv(b, "classifier", "global_pool.out", pool_q.scale, pool_q.s, pool_q.z, c, n->classes, 1, 1, 1, out_q.s, out_q.z,
       QC(NAS_SLOT_CLS), t1, sizeof t1);
#undef QC
  {
    const char *in[1] = {t1};
    Onnx__AttributeProto *a[1] = {attr_int(b, "axis", 1)};
    add_node(b, "Flatten", NULL, "flatten", 1, in, "logits", 1, a);
  }
}

static mcu_status_t export_model(const nas_net_t *n, uint64_t seed, const nas_qnet_t *q, uint8_t **out_bytes,
                                 size_t *out_size) {
  mcu_status_t s = nas_net_check(n);
  if (s) return s;
  builder_t b;
  memset(&b, 0, sizeof b);
  b.rng = seed;
  build_graph(&b, n, q);
  int64_t in_dims[4] = {1, n->in_channels, n->resolution, n->resolution}, out_dims[2] = {1, n->classes};
  Onnx__ValueInfoProto *gin = value_info(&b, "input", 4, in_dims), *gout = value_info(&b, "logits", 2, out_dims);
  Onnx__GraphProto *g = b_alloc(&b, sizeof *g);
  Onnx__ModelProto *m = b_alloc(&b, sizeof *m);
  Onnx__OperatorSetIdProto *ops = b_alloc(&b, sizeof *ops * 2), *opp[2] = {ops, ops + 1};
  if (b.failed || !gin || !gout || !g || !m || !ops) {
    builder_free(&b);
    return mcu_status_errorf("out of memory exporting the network");
  }
  onnx__graph_proto__init(g);
  g->name = "mcunet_nas";
  g->n_node = b.n_nodes, g->node = b.nodes;
  g->n_initializer = b.n_inits, g->initializer = b.inits;
  g->n_input = 1, g->input = &gin;
  g->n_output = 1, g->output = &gout;
  onnx__operator_set_id_proto__init(&ops[0]);
  onnx__operator_set_id_proto__init(&ops[1]);
  ops[0].domain = "", ops[0].has_version = 1, ops[0].version = 13;
  ops[1].domain = "com.microsoft", ops[1].has_version = 1, ops[1].version = 1;
  onnx__model_proto__init(m);
  m->has_ir_version = 1, m->ir_version = 7;
  m->n_opset_import = 2, m->opset_import = opp;
  m->producer_name = "mcunet-nas";
  m->graph = g;
  size_t size = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) {
    builder_free(&b);
    return mcu_status_errorf("out of memory exporting the network");
  }
  onnx__model_proto__pack(m, buf);
  builder_free(&b);
  *out_bytes = buf, *out_size = size;
  return NULL;
}

mcu_status_t nas_onnx_export(const nas_net_t *n, uint64_t seed, uint8_t **out_bytes, size_t *out_size) {
  return export_model(n, seed, NULL, out_bytes, out_size);
}

mcu_status_t nas_onnx_export_q(const nas_net_t *n, const nas_qnet_t *q, uint8_t **out_bytes, size_t *out_size) {
  return export_model(n, 0, q, out_bytes, out_size);
}

/* bytes written to `path` atomically (a temporary file renamed into place); frees buf. */
static mcu_status_t write_atomic(uint8_t *buf, size_t size, const char *path) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    free(buf);
    return mcu_status_errorf("%s: cannot write", tmp);
  }
  size_t w = fwrite(buf, 1, size, f);
  free(buf);
  if (fclose(f) || w != size || rename(tmp, path)) {
    remove(tmp);
    return mcu_status_errorf("%s: write failed", path);
  }
  return NULL;
}

mcu_status_t nas_onnx_export_file(const nas_net_t *n, uint64_t seed, const char *path) {
  uint8_t *buf;
  size_t size;
  mcu_status_t s = nas_onnx_export(n, seed, &buf, &size);
  return s ? s : write_atomic(buf, size, path);
}

mcu_status_t nas_onnx_export_q_file(const nas_net_t *n, const nas_qnet_t *q, const char *path) {
  uint8_t *buf;
  size_t size;
  mcu_status_t s = nas_onnx_export_q(n, q, &buf, &size);
  return s ? s : write_atomic(buf, size, path);
}
