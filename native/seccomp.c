/*
 * Seccomp filters compiled to BPF through libseccomp, found at run time
 * with dlopen (see seccomp.h). The few declarations we need from <seccomp.h> are written out
 * here, so the build needs no libseccomp-dev; their values are part of
 * libseccomp's stable ABI.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "seccomp.h"

/* From libseccomp's API. */
typedef void *scmp_filter_ctx;

struct scmp_arg_cmp {
  unsigned int arg;
  int op; /* enum scmp_compare */
  uint64_t datum_a;
  uint64_t datum_b;
};

#define SCMP_FLTATR_API_SYSRAWRC 9 /* report the kernel's errno (2.5.0+) */
#define NR_SCMP_ERROR (-1)         /* seccomp_syscall_resolve_name: unknown */

static struct {
  void *handle;
  scmp_filter_ctx (*init)(uint32_t default_action);
  void (*release)(scmp_filter_ctx ctx);
  int (*attr_set)(scmp_filter_ctx ctx, int attribute, uint32_t value);
  int (*arch_add)(scmp_filter_ctx ctx, uint32_t arch_token);
  int (*resolve_name)(const char *name);
  int (*rule_add_array)(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int count,
                        const struct scmp_arg_cmp *comparisons);
  int (*export_bpf)(scmp_filter_ctx ctx, int fd);
} lib;

static char library_error[512];

const char *mc_seccomp_library_error(void) { return library_error; }

/* Looks `name` up into *function; 0, or -1 with library_error set. */
static int find(const char *name, void *function, size_t size) {
  void *symbol = dlsym(lib.handle, name);
  if (symbol == NULL) {
    const char *why = dlerror();
    snprintf(library_error, sizeof library_error, "%s", why != NULL ? why : name);
    return -1;
  }
  memcpy(function, &symbol, size); /* object pointer to function pointer */
  return 0;
}

#define FIND(field, name) find(name, &lib.field, sizeof lib.field)

/* Opens libseccomp once; 0, or -1 with library_error set. */
static int open_library(void) {
  if (lib.handle != NULL) return 0;
  lib.handle = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib.handle == NULL) {
    const char *why = dlerror();
    snprintf(library_error, sizeof library_error, "%s", why != NULL ? why : "libseccomp.so.2: dlopen failed");
    return -1;
  }
  if (FIND(init, "seccomp_init") || FIND(release, "seccomp_release") || FIND(attr_set, "seccomp_attr_set") ||
      FIND(arch_add, "seccomp_arch_add") || FIND(resolve_name, "seccomp_syscall_resolve_name") ||
      FIND(rule_add_array, "seccomp_rule_add_array") || FIND(export_bpf, "seccomp_export_bpf")) {
    dlclose(lib.handle);
    lib.handle = NULL;
    return -1;
  }
  library_error[0] = '\0';
  return 0;
}

/* Records where a step failed and passes its result on. */
static int failed(mc_seccomp_where *where, int stage, size_t index, int result) {
  where->stage = stage;
  where->index = index;
  return result;
}

/* Adds the rules to ctx; 0 or a failure result. */
static int add_rules(scmp_filter_ctx ctx, const mc_seccomp_filter *filter, mc_seccomp_where *where) {
  for (size_t i = 0; i < filter->rule_count; i++) {
    const mc_seccomp_rule *rule = &filter->rules[i];
    int number = lib.resolve_name(rule->name);
    if (number == NR_SCMP_ERROR) return failed(where, MC_SECCOMP_NAME, i, MC_SECCOMP_UNKNOWN_SYSCALL);

    /* libseccomp itself refuses more than six comparisons (-EINVAL). */
    struct scmp_arg_cmp comparisons[8];
    size_t count = rule->comparison_count;
    if (count > sizeof comparisons / sizeof comparisons[0]) return failed(where, MC_SECCOMP_RULE, i, -EINVAL);
    for (size_t c = 0; c < count; c++) {
      comparisons[c] = (struct scmp_arg_cmp){
          .arg = rule->comparisons[c].index,
          .op = (int)rule->comparisons[c].op,
          .datum_a = rule->comparisons[c].value,
          .datum_b = rule->comparisons[c].value_two,
      };
    }
    int result = lib.rule_add_array(ctx, rule->action, number, (unsigned int)count, count > 0 ? comparisons : NULL);
    if (result < 0) return failed(where, MC_SECCOMP_RULE, i, result);
  }
  return 0;
}

int mc_seccomp_export(const mc_seccomp_filter *filter, mc_seccomp_where *where, int fd) {
  if (open_library() != 0) return failed(where, MC_SECCOMP_LIBRARY, 0, MC_SECCOMP_UNAVAILABLE);

  scmp_filter_ctx ctx = lib.init(filter->default_action);
  if (ctx == NULL) return failed(where, MC_SECCOMP_INIT, 0, -EINVAL);

  /* Real errnos rather than libseccomp 2.5's generic -ECANCELED; older
   * versions lack the attribute and report them anyway. */
  (void)lib.attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

  int result = 0;
  for (size_t i = 0; i < filter->architecture_count; i++) {
    result = lib.arch_add(ctx, filter->architectures[i]);
    if (result == -EEXIST) result = 0; /* the native one, or a duplicate */
    if (result < 0) {
      failed(where, MC_SECCOMP_ARCH, i, result);
      goto done;
    }
  }

  result = add_rules(ctx, filter, where);
  if (result < 0) goto done;

  result = lib.export_bpf(ctx, fd);
  if (result < 0) failed(where, MC_SECCOMP_EXPORT, 0, result);

done:
  lib.release(ctx);
  return result;
}
