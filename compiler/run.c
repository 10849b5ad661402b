/* run.c: compile a model and run it once on the emulated Cortex-M7 or M4 (QEMU), on the host, or with the reference. */

/* How a run works: the model is compiled in-process, once (mcu_compile_keep_program writes the object and header
 * and hands back the lowered program for the tensor shapes; the ref target needs only mcu_compile_program), every input is converted to raw bytes in the work directory, a C harness main.c is generated
 * (static aligned buffers sized by the header's SYM_INPUTi/OUTPUTj_BYTES, checked against the program at compile
 * time; one SYM_run call; outputs written to files), linked with runtime/harness/startup.c and mps2_an500.ld
 * (cortex-m7, QEMU -M mps2-an500) or mps2_an386.ld (cortex-m4, -M mps2-an386), or cc (host), and run under a
 * timeout. Firmware file I/O is semihosting on the host's files, so the harness uses absolute paths. With --count
 * the icount plugin (build/lib/mcunet-icount.so) counts the instructions from SYM_run's entry to its return; with
 * --per-layer it is also given the entry address of every layer function SYM_l<N>_<op> (from arm-none-eabi-nm)
 * and splits the count by layer (runtime/harness/icount_plugin.c). Known weaknesses: child output is kept in
 * files of the work directory, not streamed; POSIX only. */

#define _XOPEN_SOURCE 700

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ref.h"
#include "tensor_file.h"

#ifndef MCUNET_SOURCE_DIR
#error "MCUNET_SOURCE_DIR must be defined (CMake sets it)"
#endif
#ifndef MCUNET_BINARY_DIR
#error "MCUNET_BINARY_DIR must be defined (CMake sets it)"
#endif

#define RUN_DEFAULT_TIMEOUT 600u
#define RUN_PATH_MAX 4096

/* A target whose firmware runs on QEMU (cortex-m7 or cortex-m4). */
static int is_emulated(mcu_run_target_t t) { return t == MCU_RUN_CORTEX_M7 || t == MCU_RUN_CORTEX_M4; }

int mcu_run_target_parse(const char *s, mcu_run_target_t *out_target) {
  if (strcmp(s, "cortex-m7") == 0) {
    *out_target = MCU_RUN_CORTEX_M7;
  } else if (strcmp(s, "cortex-m4") == 0) {
    *out_target = MCU_RUN_CORTEX_M4;
  } else if (strcmp(s, "host") == 0) {
    *out_target = MCU_RUN_HOST;
  } else if (strcmp(s, "ref") == 0) {
    *out_target = MCU_RUN_REF;
  } else {
    return -1;
  }
  return 0;
}

void mcu_run_options_init(mcu_run_options_t *o) {
  memset(o, 0, sizeof *o);
  o->target = MCU_RUN_CORTEX_M7;
  o->name = "model";
  o->timeout_seconds = RUN_DEFAULT_TIMEOUT;
}

void mcu_run_result_destroy(mcu_run_result_t *r) {
  if (!r) return;
  for (int k = 0; k < r->num_layers; k++) free(r->layers[k].name);
  free(r->layers);
  for (int j = 0; j < r->num_outputs; j++) {
    free(r->outputs[j].name);
    free(r->outputs[j].data);
  }
  free(r->outputs);
  free(r);
}

/* ---- Paths and files ---- */

/* snprintf into a RUN_PATH_MAX buffer; an error if it does not fit. */
static mcu_status_t path_join(char *out, const char *dir, const char *file) {
  int n = snprintf(out, RUN_PATH_MAX, "%s/%s", dir, file);
  if (n < 0 || n >= RUN_PATH_MAX) return mcu_status_errorf("%s/%s: path too long", dir, file);
  return NULL;
}

/* The last non-empty line of the file at `path` into `out` (empty if none or unreadable). */
static void last_line(const char *path, char *out, size_t cap) {
  out[0] = 0;
  uint8_t *data = NULL;
  size_t size = 0;
  mcu_status_t s = mcu_file_read_all(path, &data, &size);
  if (s) {
    mcu_status_free(s);
    return;
  }
  size_t end = size;
  while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' ')) end--;
  size_t start = end;
  while (start > 0 && data[start - 1] != '\n') start--;
  size_t n = end - start < cap - 1 ? end - start : cap - 1;
  memcpy(out, data + start, n);
  out[n] = 0;
  free(data);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Creates `dir` and its missing parents. */
static mcu_status_t make_dirs(const char *dir) {
  char buf[RUN_PATH_MAX];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof buf) return mcu_status_errorf("%s: bad directory name", dir);
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    char saved = buf[i];
    buf[i] = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return mcu_status_errorf("%s: cannot create: %s", buf, strerror(errno));
    buf[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return mcu_status_errorf("%s: not a directory", dir);
  return NULL;
}

/* ---- Child processes ---- */

/* Runs argv (argv[0] looked up in PATH) with stdout and stderr redirected to the given files, killing it after
 * `timeout_s` seconds. *out_status is the exit status, or 128 + signal number. */
static mcu_status_t run_command(char *const *argv, const char *stdout_path, const char *stderr_path,
                                unsigned timeout_s, int verbose, int *out_status) {
  *out_status = -1;
  if (verbose) {
    fputs("mcunet-run: +", stderr);
    for (int i = 0; argv[i]; i++) fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
  }
  int out_fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (out_fd < 0) return mcu_status_errorf("%s: cannot create: %s", stdout_path, strerror(errno));
  int err_fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (err_fd < 0) {
    close(out_fd);
    return mcu_status_errorf("%s: cannot create: %s", stderr_path, strerror(errno));
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    close(err_fd);
    return mcu_status_errorf("cannot start %s: %s", argv[0], strerror(errno));
  }
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    close(out_fd);
    close(err_fd);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  /* Poll for the child with a short, growing sleep; kill it at the deadline. */
  struct timespec start, now, nap = {0, 1000000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return mcu_status_errorf("waiting for %s: %s", argv[0], strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec) > (double)timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return mcu_status_errorf("%s timed out after %u s", argv[0], timeout_s);
    }
    nanosleep(&nap, NULL);
    if (nap.tv_nsec < 20000000) nap.tv_nsec *= 2;
  }
  if (WIFEXITED(status)) {
    *out_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    *out_status = 128 + WTERMSIG(status);
  }
  if (*out_status == 127) {
    char line[512];
    last_line(stderr_path, line, sizeof line);
    if (strncmp(line, "cannot run ", 11) == 0) return mcu_status_errorf("%s", line);
  }
  return NULL;
}

/* Whether the line text[0, n) looks like a diagnostic: mentions an error, a fault, the harness or a full memory
 * region; gcc's closing "collect2: error: ld returned 1" says nothing and is skipped. */
static int line_reports_error(const char *text, size_t n) {
  static const char *const keys[] = {"error", "fault", "harness:", "undefined reference", "region", "RAM is full"};
  if (n >= 9 && memcmp(text, "collect2:", 9) == 0) return 0;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    size_t kn = strlen(keys[k]);
    for (size_t i = 0; i + kn <= n; i++)
      if (memcmp(text + i, keys[k], kn) == 0) return 1;
  }
  return 0;
}

/* A failed step: the first line of its stderr that mentions an error (else its last line) becomes the message. */
static mcu_status_t step_failed(const char *what, int status, const char *stdout_path, const char *stderr_path) {
  char line[512] = "";
  uint8_t *data = NULL;
  size_t size = 0;
  mcu_status_t s = mcu_file_read_all(stderr_path, &data, &size);
  if (!s) {
    const char *text = (const char *)data;
    for (size_t i = 0; i < size;) {
      size_t e = i;
      while (e < size && text[e] != '\n') e++;
      if (line_reports_error(text + i, e - i)) {
        size_t n = e - i < sizeof line - 1 ? e - i : sizeof line - 1;
        memcpy(line, text + i, n);
        line[n] = 0;
        break;
      }
      i = e + 1;
    }
    free(data);
  }
  mcu_status_free(s);
  if (!line[0]) last_line(stderr_path, line, sizeof line);
  if (!line[0]) last_line(stdout_path, line, sizeof line);
  return mcu_status_errorf("%s failed (exit status %d)%s%s", what, status, line[0] ? ": " : "", line);
}

/* ---- The generated harness ---- */

/* Writes `s` as a C string literal (octal escapes for anything but printable ASCII). */
static void put_c_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') {
      fprintf(f, "\\%c", *c);
    } else if (*c >= 0x20 && *c < 0x7f && *c != '?') {
      fputc(*c, f);
    } else {
      fprintf(f, "\\%03o", *c);
    }
  }
  fputc('"', f);
}

/* Writes the harness statement that loads input k from WORK_DIR/inputK.bin (or, with `output`, saves output k to
 * WORK_DIR/outputK.bin); on failure the harness exits with status 2 (input) or 4 (output). */
static mcu_status_t put_file_io(FILE *f, const char *work_dir, int output, int k) {
  char file[RUN_PATH_MAX], name[32];
  snprintf(name, sizeof name, "%s%d.bin", output ? "output" : "input", k);
  mcu_status_t s = path_join(file, work_dir, name);
  if (s) return s;
  fprintf(f, "  if (%s(", output ? "save" : "load");
  put_c_string(f, file);
  fprintf(f, ", %s%d, sizeof %s%d)) {\n", output ? "out" : "in", k, output ? "out" : "in", k);
  fprintf(f, "    fputs(\"harness: cannot %s %d\\n\", stderr);\n    return %d;\n  }\n",
          output ? "write output" : "read input", k, output ? 4 : 2);
  return NULL;
}

/* Writes main.c: loads each input file into a static buffer, calls SYM_run once, writes each output file. The
 * sizes come from the header and are checked against the program with static assertions. */
static mcu_status_t write_harness(const char *path, const mcu_program_t *p, const char *header_path,
                                  const char *work_dir) {
  const char *sym = p->name;
  FILE *f = fopen(path, "w");
  if (!f) return mcu_status_errorf("%s: cannot create: %s", path, strerror(errno));
  fprintf(f, "/* main.c: generated by mcunet-run: loads the inputs, calls %s_run once, saves the outputs. */\n", sym);
  fputs("#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include ", f);
  put_c_string(f, header_path);
  fputs("\n\n", f);
  fprintf(f, "_Static_assert(%s_NUM_INPUTS == %d, \"header and program disagree on the inputs\");\n", sym,
          p->num_inputs);
  fprintf(f, "_Static_assert(%s_NUM_OUTPUTS == %d, \"header and program disagree on the outputs\");\n", sym,
          p->num_outputs);
  for (int i = 0; i < p->num_inputs; i++) {
    int64_t bytes = mcu_tensor_bytes(&p->tensors[p->inputs[i]]);
    fprintf(f, "_Static_assert(%s_INPUT%d_BYTES == %lld, \"input %d size\");\n", sym, i, (long long)bytes, i);
    fprintf(f, "static uint8_t in%d[%s_INPUT%d_BYTES] __attribute__((aligned(16)));\n", i, sym, i);
  }
  for (int j = 0; j < p->num_outputs; j++) {
    int64_t bytes = mcu_tensor_bytes(&p->tensors[p->outputs[j]]);
    fprintf(f, "_Static_assert(%s_OUTPUT%d_BYTES == %lld, \"output %d size\");\n", sym, j, (long long)bytes, j);
    fprintf(f, "static uint8_t out%d[%s_OUTPUT%d_BYTES] __attribute__((aligned(16)));\n", j, sym, j);
  }
  fputs("\n/* Reads exactly n bytes from path. */\n"
        "static int load(const char *path, void *buf, size_t n) {\n"
        "  FILE *f = fopen(path, \"rb\");\n"
        "  if (!f) return 1;\n"
        "  size_t got = fread(buf, 1, n, f);\n"
        "  fclose(f);\n"
        "  return got != n;\n"
        "}\n\n"
        "static int save(const char *path, const void *buf, size_t n) {\n"
        "  FILE *f = fopen(path, \"wb\");\n"
        "  if (!f) return 1;\n"
        "  size_t put = fwrite(buf, 1, n, f);\n"
        "  return fclose(f) != 0 || put != n;\n"
        "}\n\n"
        "int main(void) {\n",
        f);
  for (int i = 0; i < p->num_inputs; i++) {
    mcu_status_t s = put_file_io(f, work_dir, 0, i);
    if (s) {
      fclose(f);
      return s;
    }
  }
  fprintf(f, "  int rc = %s_run(", sym);
  for (int i = 0; i < p->num_inputs; i++) fprintf(f, "%s(void *)in%d", i ? ", " : "", i);
  for (int j = 0; j < p->num_outputs; j++) fprintf(f, "%s(void *)out%d", p->num_inputs + j ? ", " : "", j);
  fputs(");\n", f);
  fprintf(f, "  if (rc != 0) {\n    fprintf(stderr, \"harness: %s_run returned %%d\\n\", rc);\n    return 3;\n  }\n",
          sym);
  for (int j = 0; j < p->num_outputs; j++) {
    mcu_status_t s = put_file_io(f, work_dir, 1, j);
    if (s) {
      fclose(f);
      return s;
    }
  }
  fputs("  return 0;\n}\n", f);
  if (fclose(f) != 0) return mcu_status_errorf("%s: write error", path);
  return NULL;
}

/* ---- Link and run ---- */

/* Whether `name` is a function of layer N of `p`: "SYM_l<N>_<op>" (the layer's function), or "SYM_l<N>_p<J>_<op>"
 * (one of a patch stage layer's functions, one per patch shape, called once per patch: targets/cg_patch.c), op
 * being its mcu_op_name; *out_layer = N, *out_patch = whether it is a patch function. */
static int layer_symbol(const mcu_program_t *p, const char *name, int *out_layer, int *out_patch) {
  size_t n = strlen(p->name);
  if (strncmp(name, p->name, n) != 0 || strncmp(name + n, "_l", 2) != 0) return 0;
  const char *d = name + n + 2;
  if (*d < '0' || *d > '9' || (*d == '0' && d[1] != '_')) return 0;
  char *end = NULL;
  long k = strtol(d, &end, 10);
  if (*end != '_' || k < 0 || k >= p->num_layers) return 0;
  const char *op = end + 1;
  *out_patch = 0;
  if (op[0] == 'p' && op[1] >= '0' && op[1] <= '9') {
    char *e2 = NULL;
    long j = strtol(op + 1, &e2, 10);
    if (*e2 != '_' || j < 0) return 0;
    op = e2 + 1;
    *out_patch = 1;
  }
  if (strcmp(op, mcu_op_name(p->layers[k].op)) != 0) return 0;
  *out_layer = (int)k;
  return 1;
}

/* The layer functions of a program in the linked ELF: entry address (Thumb bit cleared), layer, patch function. */
typedef struct layer_fns {
  int n, cap;
  uint64_t *addr;
  int *layer, *patch;
} layer_fns_t;

static void layer_fns_free(layer_fns_t *f) { free(f->addr), free(f->layer), free(f->patch); }

static int layer_fns_add(layer_fns_t *f, uint64_t addr, int layer, int patch) {
  if (f->n == f->cap) {
    int cap = f->cap ? 2 * f->cap : 64;
    uint64_t *a = realloc(f->addr, (size_t)cap * sizeof *a);
    if (a) f->addr = a;
    int *l = realloc(f->layer, (size_t)cap * sizeof *l);
    if (l) f->layer = l;
    int *q = realloc(f->patch, (size_t)cap * sizeof *q);
    if (q) f->patch = q;
    if (!a || !l || !q) return -1;
    f->cap = cap;
  }
  f->addr[f->n] = addr, f->layer[f->n] = layer, f->patch[f->n] = patch;
  f->n++;
  return 0;
}

/* Finds SYM_run's address in the ELF `elf` with arm-none-eabi-nm, and with `fns` every layer function's. Each
 * layer must have exactly one function, or (a patch stage's layer) one or more patch functions. */
static mcu_status_t find_symbols(const char *elf, const mcu_program_t *p, const char *work_dir, int verbose,
                                 uint64_t *out_addr, layer_fns_t *fns) {
  const char *sym = p->name;
  char out_path[RUN_PATH_MAX], err_path[RUN_PATH_MAX], want[256];
  mcu_status_t s = path_join(out_path, work_dir, "nm.out");
  if (!s) s = path_join(err_path, work_dir, "nm.err");
  if (s) return s;
  char *argv[] = {"arm-none-eabi-nm", (char *)elf, NULL};
  int status = 0;
  s = run_command(argv, out_path, err_path, 60, verbose, &status);
  if (s) return s;
  if (status != 0) return step_failed("arm-none-eabi-nm", status, out_path, err_path);
  snprintf(want, sizeof want, "%s_run", sym);
  uint8_t *data = NULL;
  size_t size = 0;
  s = mcu_file_read_all(out_path, &data, &size);
  if (s) return s;
  int found = 0, *plain = NULL, *patched = NULL;
  if (fns && p->num_layers > 0) {
    plain = calloc((size_t)p->num_layers, sizeof *plain);
    patched = calloc((size_t)p->num_layers, sizeof *patched);
    if (!plain || !patched) {
      free(data), free(plain), free(patched);
      return mcu_status_errorf("out of memory");
    }
  }
  char *text = (char *)data;
  for (char *line = text; line && *line && !s;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    char addr[32], kind[8], name[256];
    int k, patch;
    if (sscanf(line, "%31s %7s %255s", addr, kind, name) == 3 && (kind[0] == 'T' || kind[0] == 't')) {
      if (strcmp(name, want) == 0) {
        *out_addr = strtoull(addr, NULL, 16) & ~UINT64_C(1);
        found++;
      } else if (plain && layer_symbol(p, name, &k, &patch)) {
        if (layer_fns_add(fns, strtoull(addr, NULL, 16) & ~UINT64_C(1), k, patch)) s = mcu_status_errorf("out of memory");
        (patch ? patched : plain)[k]++;
      }
    }
    line = next;
  }
  free(data);
  for (int k = 0; plain && k < p->num_layers && !s; k++)
    if (!((plain[k] == 1 && patched[k] == 0) || (plain[k] == 0 && patched[k] > 0)))
      s = mcu_status_errorf("%s: layer %d has %d functions %s_l%d_%s and %d patch functions, expected one function "
                            "or only patch functions (per-layer counts need the layer functions)", elf, k, plain[k],
                            sym, k, mcu_op_name(p->layers[k].op), patched[k]);
  free(plain), free(patched);
  if (!s && found != 1) s = mcu_status_errorf("%s: function %s found %d times, expected once", elf, want, found);
  return s;
}

/* Reads every "instructions: N" line of the plugin log; exactly one call is expected. With `fns` also the "layer K:
 * N calls C" and "glue: G" lines, K numbering the functions of `fns` (the plugin's layer= arguments): a layer's
 * function must have been called once, a patch function at least once; each function's instructions go to its
 * layer in `layers` (num_layers entries), and the functions plus the glue must add up to the call's count. */
static mcu_status_t read_count(const char *log_path, const char *sym, uint64_t *out_count, const layer_fns_t *fns,
                               int num_layers, uint64_t *layers, uint64_t *out_glue) {
  const int num_fns = fns ? fns->n : 0;
  uint8_t *data = NULL;
  size_t size = 0;
  mcu_status_t s = mcu_file_read_all(log_path, &data, &size);
  if (s) return mcu_status_annotatef(s, "icount plugin log: ");
  int calls = 0, bad_layers = 0, have_glue = 0;
  uint64_t count = 0, glue = 0;
  uint64_t *layer_calls = layers ? calloc((size_t)(num_fns ? num_fns : 1), sizeof *layer_calls) : NULL;
  uint64_t *fn_count = layers ? calloc((size_t)(num_fns ? num_fns : 1), sizeof *fn_count) : NULL;
  if (layers && (!layer_calls || !fn_count)) {
    free(data), free(layer_calls), free(fn_count);
    return mcu_status_errorf("out of memory");
  }
  for (int k = 0; layers && k < num_layers; k++) layers[k] = 0;
  const char *text = (const char *)data;
  const char *key = "instructions: ";
  size_t kn = strlen(key);
  for (size_t i = 0; i < size;) {
    size_t e = i;
    while (e < size && text[e] != '\n') e++;
    if (e - i > kn && memcmp(text + i, key, kn) == 0) {
      char num[32];
      size_t n = e - i - kn < sizeof num - 1 ? e - i - kn : sizeof num - 1;
      memcpy(num, text + i + kn, n);
      num[n] = 0;
      count = strtoull(num, NULL, 10);
      calls++;
    } else if (layers && e - i > 6 && e - i < 128 && memcmp(text + i, "layer ", 6) == 0) {
      char buf[128];
      memcpy(buf, text + i, e - i);
      buf[e - i] = 0;
      int k = -1;
      unsigned long long n = 0, c = 0;
      if (sscanf(buf, "layer %d: %llu calls %llu", &k, &n, &c) != 3 || k < 0 || k >= num_fns) {
        bad_layers = 1;
      } else {
        fn_count[k] = n;
        layer_calls[k] = c;
      }
    } else if (layers && e - i > 6 && memcmp(text + i, "glue: ", 6) == 0) {
      glue = strtoull(text + i + 6, NULL, 10);
      have_glue = 1;
    }
    i = e + 1;
  }
  free(data);
  if (calls != 1)
    s = mcu_status_errorf("icount plugin saw %d complete calls of %s_run, expected 1 (log %s)", calls, sym,
                          log_path);
  if (!s && layers) {
    uint64_t sum = glue;
    for (int k = 0; k < num_fns && !bad_layers; k++) {
      if (fns->patch[k] ? layer_calls[k] < 1 : layer_calls[k] != 1) {
        s = mcu_status_errorf("icount plugin: a function of layer %d was entered %llu times, expected %s (log %s)",
                              fns->layer[k], (unsigned long long)layer_calls[k], fns->patch[k] ? "at least once" : "once",
                              log_path);
        break;
      }
      sum += fn_count[k];
      layers[fns->layer[k]] += fn_count[k];
    }
    if (!s && (bad_layers || !have_glue))
      s = mcu_status_errorf("icount plugin: malformed or missing per-layer lines (log %s)", log_path);
    if (!s && sum != count)
      s = mcu_status_errorf("icount plugin: the layers and glue add up to %llu, the call to %llu (log %s)",
                            (unsigned long long)sum, (unsigned long long)count, log_path);
    *out_glue = glue;
  }
  free(layer_calls), free(fn_count);
  if (!s) *out_count = count;
  return s;
}

/* Where the harness files are: an installed mcunet-run (PREFIX/bin) uses PREFIX/share/mcunet/harness and
 * PREFIX/lib/mcunet/mcunet-icount.so when they exist; otherwise the source and build trees it was built from.
 * `rel` is "share/mcunet/harness/NAME" or "lib/mcunet/NAME"; `fallback` the tree path. */
static void data_path(char *out, size_t n, const char *rel, const char *fallback) {
  char exe[RUN_PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = 0; /* PREFIX/bin */
      if (snprintf(out, n, "%s/../%s", exe, rel) < (int)n && access(out, R_OK) == 0) return;
    }
  }
  snprintf(out, n, "%s", fallback);
}

mcu_status_t mcu_run_object(const mcu_run_object_options_t *o, const uint8_t *const *inputs, uint8_t *const *outputs,
                            uint64_t *out_instructions) {
  const mcu_program_t *p = o->p;
  unsigned timeout_s = o->timeout_seconds ? o->timeout_seconds : RUN_DEFAULT_TIMEOUT;
  if (!is_emulated(o->target) && o->target != MCU_RUN_HOST)
    return mcu_status_errorf("mcu_run_object: the target must be cortex-m7, cortex-m4 or host");
  if (o->count && !is_emulated(o->target))
    return mcu_status_errorf("instruction counting needs --target=cortex-m7 or cortex-m4");
  if (o->layer_instructions && (!o->count || !o->glue_instructions))
    return mcu_status_errorf("mcu_run_object: per-layer counts need count and glue_instructions");
  char dir[RUN_PATH_MAX], main_c[RUN_PATH_MAX], prog[RUN_PATH_MAX], out_log[RUN_PATH_MAX], err_log[RUN_PATH_MAX];
  char file[RUN_PATH_MAX], name[32];
  if (!realpath(o->work_dir, dir)) return mcu_status_errorf("%s: %s", o->work_dir, strerror(errno));
  mcu_status_t s = path_join(main_c, dir, "main.c");
  if (!s) s = path_join(prog, dir, is_emulated(o->target) ? "prog.elf" : "prog");
  if (!s) s = path_join(out_log, dir, "build.out");
  if (!s) s = path_join(err_log, dir, "build.err");
  if (s) return s;

  for (int i = 0; i < p->num_inputs && !s; i++) {
    snprintf(name, sizeof name, "input%d.bin", i);
    s = path_join(file, dir, name);
    if (!s) s = mcu_file_write_all(file, inputs[i], (size_t)mcu_tensor_bytes(&p->tensors[p->inputs[i]]));
  }
  if (!s) s = write_harness(main_c, p, o->header_path, dir);
  if (s) return s;

  /* Build. */
  int status = 0;
  const int m4 = o->target == MCU_RUN_CORTEX_M4;
  if (is_emulated(o->target)) {
    char ld[RUN_PATH_MAX], startup[RUN_PATH_MAX];
    if (m4)
      data_path(ld, sizeof ld, "share/mcunet/harness/mps2_an386.ld", MCUNET_SOURCE_DIR "/runtime/harness/mps2_an386.ld");
    else
      data_path(ld, sizeof ld, "share/mcunet/harness/mps2_an500.ld", MCUNET_SOURCE_DIR "/runtime/harness/mps2_an500.ld");
    data_path(startup, sizeof startup, "share/mcunet/harness/startup.c", MCUNET_SOURCE_DIR "/runtime/harness/startup.c");
    char *argv[] = {"arm-none-eabi-gcc", m4 ? "-mcpu=cortex-m4" : "-mcpu=cortex-m7", "-mthumb",
                    m4 ? "-mfpu=fpv4-sp-d16" : "-mfpu=fpv5-d16", "-mfloat-abi=hard", "-O2",
                    "-std=c17", "-ffp-contract=off", "--specs=nano.specs", "--specs=rdimon.specs", "-nostartfiles",
                    "-T", ld, startup, main_c, (char *)o->object_path, "-o", prog,
                    "-lm", "-Wl,-z,noexecstack", "-Wl,--no-warn-rwx-segments", NULL};
    s = run_command(argv, out_log, err_log, timeout_s, o->verbose, &status);
    if (!s && status != 0) s = step_failed("linking the firmware", status, out_log, err_log);
  } else {
    char *argv[] = {"cc", "-O2", "-std=c17", "-no-pie", main_c, (char *)o->object_path, "-o", prog, "-lm", NULL};
    s = run_command(argv, out_log, err_log, timeout_s, o->verbose, &status);
    if (!s && status != 0) s = step_failed("linking the host program", status, out_log, err_log);
  }
  if (s) return s;

  /* Run. */
  char run_out[RUN_PATH_MAX], run_err[RUN_PATH_MAX], plugin_log[RUN_PATH_MAX];
  s = path_join(run_out, dir, "run.out");
  if (!s) s = path_join(run_err, dir, "run.err");
  if (!s) s = path_join(plugin_log, dir, "icount.log");
  if (s) return s;
  if (is_emulated(o->target)) {
    /* -plugin LIB,entry=ADDR[,layer=ADDR]...: at most 24 characters per address. */
    layer_fns_t fns = {0};
    char *plugin_arg = NULL;
    uint64_t entry = 0;
    if (o->count) {
      s = find_symbols(prog, p, dir, o->verbose, &entry, o->layer_instructions ? &fns : NULL);
      size_t cap = RUN_PATH_MAX + 64 + 24 * (size_t)fns.n;
      if (!s && !(plugin_arg = malloc(cap))) s = mcu_status_errorf("out of memory");
      if (!s) {
        char plugin[RUN_PATH_MAX];
        data_path(plugin, sizeof plugin, "lib/mcunet/mcunet-icount.so", MCUNET_BINARY_DIR "/lib/mcunet-icount.so");
        size_t used = (size_t)snprintf(plugin_arg, cap, "%s,entry=0x%" PRIx64, plugin, entry);
        for (int k = 0; k < fns.n && used < cap; k++)
          used += (size_t)snprintf(plugin_arg + used, cap - used, ",layer=0x%" PRIx64, fns.addr[k]);
        if (used >= cap) s = mcu_status_errorf("the icount plugin's arguments are too long");
      }
      remove(plugin_log);
    }
    char *argv[] = {"qemu-system-arm", "-M", m4 ? "mps2-an386" : "mps2-an500", "-nographic", "-semihosting-config",
                    "enable=on,target=native", "-kernel", prog, "-plugin", plugin_arg, "-d", "plugin", "-D",
                    plugin_log, NULL};
    if (!o->count) argv[8] = NULL;
    if (!s) s = run_command(argv, run_out, run_err, timeout_s, o->verbose, &status);
    if (!s && status != 0) s = step_failed("the firmware on qemu-system-arm", status, run_out, run_err);
    if (!s && o->count)
      s = read_count(plugin_log, p->name, out_instructions, o->layer_instructions ? &fns : NULL, p->num_layers,
                     o->layer_instructions, o->glue_instructions);
    free(plugin_arg);
    layer_fns_free(&fns);
  } else {
    char *argv[] = {prog, NULL};
    s = run_command(argv, run_out, run_err, timeout_s, o->verbose, &status);
    if (!s && status != 0) s = step_failed("the host program", status, run_out, run_err);
  }
  if (s) return s;

  /* Collect the outputs. */
  for (int j = 0; j < p->num_outputs; j++) {
    snprintf(name, sizeof name, "output%d.bin", j);
    s = path_join(file, dir, name);
    if (s) return s;
    uint8_t *data = NULL;
    size_t size = 0;
    s = mcu_file_read_all(file, &data, &size);
    if (s) return s;
    size_t want = (size_t)mcu_tensor_bytes(&p->tensors[p->outputs[j]]);
    if (size != want) {
      free(data);
      return mcu_status_errorf("%s: %zu bytes, expected %zu", file, size, want);
    }
    if (want) memcpy(outputs[j], data, want);
    free(data);
  }
  return NULL;
}

/* ---- The whole run ---- */

static mcu_status_t make_result(const mcu_program_t *p, mcu_run_result_t **out_result) {
  mcu_run_result_t *r = calloc(1, sizeof *r);
  if (!r) return mcu_status_errorf("out of memory");
  r->outputs = calloc((size_t)(p->num_outputs ? p->num_outputs : 1), sizeof *r->outputs);
  if (!r->outputs) {
    free(r);
    return mcu_status_errorf("out of memory");
  }
  r->num_outputs = p->num_outputs;
  for (int j = 0; j < p->num_outputs; j++) {
    const mcu_tensor_t *t = &p->tensors[p->outputs[j]];
    mcu_run_output_t *out = &r->outputs[j];
    out->name = strdup(t->name ? t->name : "");
    out->dtype = t->dtype;
    out->rank = t->rank;
    memcpy(out->shape, t->shape, sizeof out->shape);
    out->bytes = (size_t)mcu_tensor_bytes(t);
    out->data = calloc(out->bytes ? out->bytes : 1, 1);
    if (!out->name || !out->data) {
      mcu_run_result_destroy(r);
      return mcu_status_errorf("out of memory");
    }
  }
  *out_result = r;
  return NULL;
}

static mcu_status_t read_inputs(const mcu_run_options_t *o, const mcu_program_t *p, uint8_t **inputs) {
  if (o->num_input_paths != p->num_inputs) {
    char names[512] = "";
    size_t used = 0;
    for (int i = 0; i < p->num_inputs && used < sizeof names - 1; i++) {
      const char *n = p->tensors[p->inputs[i]].name;
      int w = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", n && n[0] ? n : "?");
      if (w < 0) break;
      used += (size_t)w < sizeof names - used ? (size_t)w : sizeof names - used - 1;
    }
    return mcu_status_errorf("%s: the model has %d input%s (%s) but %d --input file%s given", o->model_path,
                             p->num_inputs, p->num_inputs == 1 ? "" : "s", names, o->num_input_paths,
                             o->num_input_paths == 1 ? " was" : "s were");
  }
  for (int i = 0; i < p->num_inputs; i++) {
    mcu_status_t s = mcu_tensor_file_read(o->input_paths[i], &p->tensors[p->inputs[i]], &inputs[i]);
    if (s) return s;
  }
  return NULL;
}

/* The work directory: o->keep_dir (created, kept) or a new temporary one (*out_temporary set: remove it after). */
static mcu_status_t make_work_dir(const mcu_run_options_t *o, char *dir, int *out_temporary) {
  *out_temporary = !o->keep_dir;
  if (*out_temporary) {
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, RUN_PATH_MAX, "%s/mcunet-run-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (n < 0 || n >= RUN_PATH_MAX) return mcu_status_errorf("TMPDIR is too long");
    if (!mkdtemp(dir)) return mcu_status_errorf("%s: cannot create a temporary directory: %s", dir, strerror(errno));
    return NULL;
  }
  mcu_status_t s = make_dirs(o->keep_dir);
  if (!s && !realpath(o->keep_dir, dir)) s = mcu_status_errorf("%s: %s", o->keep_dir, strerror(errno));
  return s;
}

/* Compiles SYM.o and SYM.h into `dir` (cortex-m7, cortex-m4 or host). *out_program is the lowered program they
 * came from. */
static mcu_status_t compile_into(const mcu_compile_options_t *co, const char *dir, char *obj, char *hdr,
                                 mcu_program_t **out_program) {
  char file[300];
  snprintf(file, sizeof file, "%s.o", co->name);
  mcu_status_t s = path_join(obj, dir, file);
  snprintf(file, sizeof file, "%s.h", co->name);
  if (!s) s = path_join(hdr, dir, file);
  if (s) return s;
  mcu_compile_options_t with_output = *co;
  with_output.output_path = obj;
  with_output.emit = MCU_EMIT_OBJ;
  return mcu_compile_keep_program(&with_output, out_program);
}

/* The kernel-and-stride part of a conv ("1x1s1", "3x3s2x1") into buf. */
static void conv_geometry(const mcu_layer_t *l, const mcu_tensor_t *w, char *buf, size_t n) {
  if (l->stride[0] == l->stride[1]) {
    snprintf(buf, n, "%dx%ds%d", (int)w->shape[1], (int)w->shape[2], (int)l->stride[0]);
  } else {
    snprintf(buf, n, "%dx%ds%dx%d", (int)w->shape[1], (int)w->shape[2], (int)l->stride[0], (int)l->stride[1]);
  }
}

/* mcu_run_layer_t.shape of layer l (see run.h). */
static void layer_shape(const mcu_program_t *p, const mcu_layer_t *l, char *buf, size_t n) {
  const mcu_tensor_t *out = &p->tensors[l->output];
  const mcu_tensor_t *x = l->num_inputs > 0 ? &p->tensors[l->inputs[0]] : NULL;
  int cout = out->rank > 0 ? (int)out->shape[out->rank - 1] : 0;
  int cin = x && x->rank > 0 ? (int)x->shape[x->rank - 1] : 0;
  char g[32];
  snprintf(buf, n, "-");
  if (l->op == MCU_OP_CONV2D && l->num_inputs >= 2 && p->tensors[l->inputs[1]].rank == 4) {
    conv_geometry(l, &p->tensors[l->inputs[1]], g, sizeof g);
    if (l->groups > 1 && l->groups == cin) {
      snprintf(buf, n, "dw%s:%d", g, cout);
    } else if (l->groups > 1) {
      snprintf(buf, n, "%sg%d:%d->%d", g, (int)l->groups, cin, cout);
    } else {
      snprintf(buf, n, "%s:%d->%d", g, cin, cout);
    }
  } else if ((l->op == MCU_OP_FULLY_CONNECTED || l->op == MCU_OP_MATMUL) && x) {
    snprintf(buf, n, "%d->%d", cin, cout);
  } else if (l->op == MCU_OP_STREAM_BLOCK && l->num_inputs >= 6 && p->tensors[l->inputs[3]].rank == 4) {
    conv_geometry(l, &p->tensors[l->inputs[3]], g, sizeof g);
    snprintf(buf, n, "%d->%d,dw%s,->%d", cin, (int)p->tensors[l->inputs[3]].shape[0], g, cout);
  }
}

/* Runs the program `p` on the inputs into r's outputs: in-process for ref, else by linking and running the object. */
static mcu_status_t run_program(const mcu_run_options_t *o, const mcu_program_t *p, const char *dir, const char *obj,
                                const char *hdr, const uint8_t *const *inputs, mcu_run_result_t *r) {
  size_t n = (size_t)(p->num_outputs ? p->num_outputs : 1);
  if (o->target == MCU_RUN_REF) {
    void **outs = malloc(sizeof *outs * n);
    if (!outs) return mcu_status_errorf("out of memory");
    for (int j = 0; j < p->num_outputs; j++) outs[j] = r->outputs[j].data;
    int rc = mcu_ref_run(p, (const void *const *)inputs, (void *const *)outs);
    free(outs);
    return rc ? mcu_status_errorf("%s: the reference runtime cannot run this program", o->model_path) : NULL;
  }
  uint8_t **outs = malloc(sizeof *outs * n);
  if (!outs) return mcu_status_errorf("out of memory");
  for (int j = 0; j < p->num_outputs; j++) outs[j] = r->outputs[j].data;
  mcu_run_object_options_t ro = {
      .p = p,
      .target = o->target,
      .object_path = obj,
      .header_path = hdr,
      .work_dir = dir,
      .count = o->count,
      .verbose = o->verbose,
      .timeout_seconds = o->timeout_seconds,
  };
  uint64_t *per_layer = NULL;
  if (o->per_layer) {
    per_layer = calloc((size_t)(p->num_layers ? p->num_layers : 1), sizeof *per_layer);
    r->layers = calloc((size_t)(p->num_layers ? p->num_layers : 1), sizeof *r->layers);
    if (!per_layer || !r->layers) {
      free(per_layer);
      free(outs);
      return mcu_status_errorf("out of memory");
    }
    ro.layer_instructions = per_layer;
    ro.glue_instructions = &r->glue_instructions;
  }
  uint64_t count = 0;
  mcu_status_t s = mcu_run_object(&ro, inputs, outs, &count);
  free(outs);
  if (!s && o->count) {
    r->has_count = 1;
    r->instructions = count;
  }
  for (int k = 0; !s && o->per_layer && k < p->num_layers; k++) {
    const mcu_layer_t *l = &p->layers[k];
    mcu_run_layer_t *rl = &r->layers[r->num_layers];
    rl->name = strdup(l->name ? l->name : "");
    if (!rl->name) {
      s = mcu_status_errorf("out of memory");
      break;
    }
    rl->op = mcu_op_name(l->op);
    layer_shape(p, l, rl->shape, sizeof rl->shape);
    rl->macs = mcu_layer_macs(p, l);
    rl->instructions = per_layer[k];
    r->num_layers++;
  }
  free(per_layer);
  return s;
}

mcu_status_t mcu_run(const mcu_run_options_t *o, mcu_run_result_t **out_result) {
  *out_result = NULL;
  if (!o->model_path) return mcu_status_errorf("no model given");
  if (o->count && !is_emulated(o->target))
    return mcu_status_errorf("--count needs --target=cortex-m7 or cortex-m4");
  if (o->per_layer && !o->count) return mcu_status_errorf("--per-layer needs --count");
  mcu_compile_options_t co;
  mcu_compile_options_init(&co);
  co.model_path = o->model_path;
  co.target = o->target == MCU_RUN_HOST        ? MCU_TARGET_HOST
              : o->target == MCU_RUN_CORTEX_M4 ? MCU_TARGET_CORTEX_M4
                                               : MCU_TARGET_CORTEX_M7;
  co.name = o->name ? o->name : "model";
  co.bindings = o->bindings;
  co.num_bindings = o->num_bindings;
  co.no_inplace = o->no_inplace, co.no_stream = o->no_stream, co.no_schedule = o->no_schedule;
  co.stream = o->stream, co.board = o->board;
  co.patches = o->patches;
  co.pools = o->pools, co.num_pools = o->num_pools;
  co.kernel = o->kernel;
  mcu_program_t *p = NULL;
  char dir[RUN_PATH_MAX] = "", obj[RUN_PATH_MAX] = "", hdr[RUN_PATH_MAX] = "";
  int temporary = 0;
  mcu_status_t s;
  if (o->target == MCU_RUN_REF) {
    s = mcu_compile_program(&co, &p);
  } else {
    s = make_work_dir(o, dir, &temporary);
    if (s) return s;
    s = compile_into(&co, dir, obj, hdr, &p);
  }

  uint8_t **inputs = NULL;
  mcu_run_result_t *r = NULL;
  if (!s) {
    inputs = calloc((size_t)(p->num_inputs ? p->num_inputs : 1), sizeof *inputs);
    if (!inputs) s = mcu_status_errorf("out of memory");
  }
  if (!s) s = read_inputs(o, p, inputs);
  if (!s) s = make_result(p, &r);
  if (!s) s = run_program(o, p, dir, obj, hdr, (const uint8_t *const *)inputs, r);
  if (temporary) remove_tree(dir);
  if (inputs)
    for (int i = 0; i < p->num_inputs; i++) free(inputs[i]);
  free(inputs);
  mcu_program_destroy(p);
  if (s) {
    mcu_run_result_destroy(r);
    return s;
  }
  *out_result = r;
  return NULL;
}

/* MACs per instruction with two decimals, "-" when the layer has no MACs or executed nothing. */
static void put_ratio(FILE *f, int64_t macs, uint64_t n) {
  if (n == 0 || macs == 0) {
    fprintf(f, "%10s", "-");
  } else {
    fprintf(f, "%10.2f", (double)macs / (double)n);
  }
}

void mcu_run_print_layers(FILE *f, const mcu_run_result_t *r) {
  if (!r->layers) return;
  fprintf(f, "%-10s %-16s %14s %14s %10s  %-20s %s\n", "layer", "op", "instructions", "MACs", "MACs/instr", "shape",
          "name");
  int64_t macs = 0;
  uint64_t sum = r->glue_instructions;
  for (int k = 0; k < r->num_layers; k++) {
    const mcu_run_layer_t *l = &r->layers[k];
    char idx[32];
    snprintf(idx, sizeof idx, "layer %d:", k);
    fprintf(f, "%-10s %-16s %14" PRIu64 " %14" PRId64 " ", idx, l->op, l->instructions, l->macs);
    put_ratio(f, l->macs, l->instructions);
    fprintf(f, "  %-20s %s\n", l->shape[0] ? l->shape : "-", l->name);
    macs += l->macs;
    sum += l->instructions;
  }
  fprintf(f, "%-10s %-16s %14" PRIu64 " %14s %10s  %-20s %s\n", "glue:", "-", r->glue_instructions, "-", "-", "-",
          "(SYM_run outside the layer functions)");
  fprintf(f, "%-10s %-16s %14" PRIu64 " %14" PRId64 " ", "total:", "-", sum, macs);
  put_ratio(f, macs, sum);
  fputc('\n', f);
}

void mcu_run_print_output(FILE *f, int index, const mcu_run_output_t *out) {
  fprintf(f, "output%d [", index);
  for (int d = 0; d < out->rank; d++) fprintf(f, "%s%d", d ? ", " : "", (int)out->shape[d]);
  fputs("]:", f);
  size_t n = out->bytes / mcu_dtype_size(out->dtype);
  for (size_t i = 0; i < n; i++) {
    switch (out->dtype) {
    case MCU_DT_I8: fprintf(f, " %d", (int)(int8_t)out->data[i]); break;
    case MCU_DT_U8: fprintf(f, " %u", (unsigned)out->data[i]); break;
    case MCU_DT_I32: {
      int32_t v;
      memcpy(&v, out->data + 4 * i, 4);
      fprintf(f, " %" PRId32, v);
      break;
    }
    case MCU_DT_F32: {
      float v;
      memcpy(&v, out->data + 4 * i, 4);
      fprintf(f, " %.9g", (double)v);
      break;
    }
    }
  }
  fputc('\n', f);
}
