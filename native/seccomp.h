// A seccomp filter compiled to BPF through libseccomp, which is opened with
// dlopen at the first use: no libseccomp headers are needed to build, and a
// machine without the library fails only when a profile is actually given.
// `launch` compiles while it still sees the host's files; the waiter
// installs the program (native/waiter.c).
#ifndef MESOS_CONTAINERIZER_SECCOMP_H
#define MESOS_CONTAINERIZER_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

// One comparison of a syscall argument (libseccomp's struct scmp_arg_cmp).
typedef struct {
  uint32_t index; // argument number, 0..5
  uint32_t op;    // an SCMP_CMP_* value (1 = NE ... 7 = MASKED_EQ)
  uint64_t value;
  uint64_t value_two; // the mask for MASKED_EQ
} mc_seccomp_comparison;

// One rule: `action` for the syscall `name` when every comparison holds.
typedef struct {
  const char *name;
  uint32_t action; // an SCMP_ACT_* value
  size_t comparison_count;
  const mc_seccomp_comparison *comparisons;
} mc_seccomp_rule;

typedef struct {
  uint32_t default_action;
  size_t architecture_count;
  const uint32_t *architectures; // SCMP_ARCH_* tokens (AUDIT_ARCH_* values)
  size_t rule_count;
  const mc_seccomp_rule *rules;
} mc_seccomp_filter;

// Which step failed.
enum mc_seccomp_stage {
  MC_SECCOMP_LIBRARY = 1,   // dlopen/dlsym of libseccomp.so.2
  MC_SECCOMP_INIT = 2,      // seccomp_init
  MC_SECCOMP_ARCH = 3,      // seccomp_arch_add of architectures[index]
  MC_SECCOMP_NAME = 4,      // seccomp_syscall_resolve_name of rules[index].name
  MC_SECCOMP_RULE = 5,      // seccomp_rule_add_array of rules[index]
  MC_SECCOMP_EXPORT = 6,    // seccomp_export_bpf
};

// Results that are not an errno (errno values stay below 4096).
#define MC_SECCOMP_UNAVAILABLE (-10001)   // libseccomp.so.2 can't be loaded
#define MC_SECCOMP_UNKNOWN_SYSCALL (-10002) // libseccomp knows no such name

typedef struct {
  int stage;    // an mc_seccomp_stage
  size_t index; // the architecture or rule concerned, else 0
} mc_seccomp_where;

// Builds the filter and writes its BPF program (struct sock_filter
// instructions) to `fd`. An architecture already present is skipped.
// Returns 0; or -errno, MC_SECCOMP_UNAVAILABLE or MC_SECCOMP_UNKNOWN_SYSCALL
// with *where filled.
int mc_seccomp_export(const mc_seccomp_filter *filter, mc_seccomp_where *where, int fd);

// Why libseccomp could not be loaded (dlerror's text), or "".
const char *mc_seccomp_library_error(void);

#endif
