// Arguments and results of the addon's functions (addon.c, fs.c, net.c).
// Every Node-API status is checked: an argument that can't be read sets
// `failed`, and the function then does nothing and returns -EINVAL
// (bad_arguments); a result that can't be made is NULL, undefined in
// JavaScript.
#ifndef MESOS_CONTAINERIZER_NAPI_H
#define MESOS_CONTAINERIZER_NAPI_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 6
#define MAX_STRING 131072 /* MAX_ARG_STRLEN: the most execve takes in one string */
#define MAX_STRINGS 65536

typedef struct {
  napi_env env;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
} Call;

static inline Call begin(napi_env env, napi_callback_info info) {
  Call call = {.env = env, .argc = MAX_ARGS, .failed = 0};
  if (napi_get_cb_info(env, info, &call.argc, call.argv, NULL, NULL) != napi_ok) {
    call.argc = 0;
    call.failed = 1;
  }
  // argc comes back as the number of arguments given, which may exceed argv.
  if (call.argc > MAX_ARGS) call.argc = MAX_ARGS;
  return call;
}

// array[index] as the one argument of a Call, to be read like any other.
static inline Call element_of(napi_env env, napi_value array, uint32_t index) {
  Call one = {.env = env, .argc = 1, .failed = 0};
  if (napi_get_element(env, array, index, &one.argv[0]) != napi_ok) {
    one.argc = 0;
    one.failed = 1;
  }
  return one;
}

static inline bool arg_is_number(Call *call, size_t index) {
  napi_valuetype type = napi_undefined;
  if (index < call->argc && napi_typeof(call->env, call->argv[index], &type) != napi_ok) call->failed = 1;
  return type == napi_number;
}

static inline int64_t arg_int(Call *call, size_t index) {
  int64_t value = 0;
  if (index >= call->argc || napi_get_value_int64(call->env, call->argv[index], &value) != napi_ok) {
    call->failed = 1;
  }
  return value;
}

static inline uint64_t arg_u64(Call *call, size_t index) {
  uint64_t value = 0;
  bool lossless = true;
  if (index >= call->argc ||
      napi_get_value_bigint_uint64(call->env, call->argv[index], &value, &lossless) != napi_ok) {
    call->failed = 1;
  }
  return value;
}

// A descriptor: AT_FDCWD is the one negative value accepted.
static inline int arg_fd(Call *call, size_t index) {
  int64_t fd = arg_int(call, index);
  if (fd != AT_FDCWD && (fd < 0 || fd > INT32_MAX)) call->failed = 1;
  return (int)fd;
}

// The length of an array argument, refused past `max`.
static inline uint32_t arg_length(Call *call, size_t index, uint32_t max) {
  uint32_t length = 0;
  if (index >= call->argc || napi_get_array_length(call->env, call->argv[index], &length) != napi_ok ||
      length > max) {
    call->failed = 1;
    return 0;
  }
  return length;
}

// A string argument of at most `max` bytes, which the caller frees. NULL
// for null or undefined when `optional`; NULL with failed set otherwise.
static inline char *arg_text(Call *call, size_t index, size_t max, bool optional) {
  napi_valuetype type = napi_undefined;
  if (index < call->argc && napi_typeof(call->env, call->argv[index], &type) != napi_ok) {
    call->failed = 1;
    return NULL;
  }
  if (type == napi_null || type == napi_undefined) {
    if (!optional) call->failed = 1;
    return NULL;
  }
  size_t length = 0;
  if (napi_get_value_string_utf8(call->env, call->argv[index], NULL, 0, &length) != napi_ok || length > max) {
    call->failed = 1;
    return NULL;
  }
  size_t size = length + 1;
  char *text = malloc(size);
  if (text == NULL) {
    call->failed = 1;
    return NULL;
  }
  size_t copied = 0;
  // A NUL inside would have libc see a shorter string than the one given.
  if (napi_get_value_string_utf8(call->env, call->argv[index], text, size, &copied) != napi_ok || copied != length ||
      strlen(text) != length) {
    free(text);
    call->failed = 1;
    return NULL;
  }
  return text;
}

static inline char *arg_string(Call *call, size_t index) { return arg_text(call, index, MAX_STRING, false); }

static inline char *arg_optional_string(Call *call, size_t index) { return arg_text(call, index, MAX_STRING, true); }

static inline char *arg_path(Call *call, size_t index) { return arg_text(call, index, PATH_MAX, false); }

// The bytes of a Uint8Array argument, in place, and their number in *length.
static inline void *arg_bytes(Call *call, size_t index, size_t *length) {
  napi_typedarray_type type;
  void *data = NULL;
  napi_value buffer;
  size_t offset;
  if (index >= call->argc ||
      napi_get_typedarray_info(call->env, call->argv[index], &type, length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    call->failed = 1;
    *length = 0;
    return NULL;
  }
  return data;
}

// A NULL-terminated array of strings from a JS array of strings.
static inline char **arg_strings(Call *call, size_t index) {
  uint32_t length = arg_length(call, index, MAX_STRINGS);
  if (call->failed) return NULL;
  char **strings = calloc((size_t)length + 1, sizeof(char *));
  if (strings == NULL) {
    call->failed = 1;
    return NULL;
  }
  for (uint32_t i = 0; i < length; i++) {
    Call one = element_of(call->env, call->argv[index], i);
    strings[i] = arg_string(&one, 0);
    // Stop at the first bad one: the array stays NULL-terminated for free_strings.
    if (one.failed) {
      call->failed = 1;
      break;
    }
  }
  return strings;
}

static inline void free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **s = strings; *s != NULL; s++) free(*s);
  free(strings);
}

static inline napi_value number(napi_env env, double value) {
  napi_value result;
  return napi_create_double(env, value, &result) == napi_ok ? result : NULL;
}

static inline napi_value bigint(napi_env env, uint64_t value) {
  napi_value result;
  return napi_create_bigint_uint64(env, value, &result) == napi_ok ? result : NULL;
}

static inline napi_value string_value(napi_env env, const char *value) {
  napi_value result;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &result) == napi_ok ? result : NULL;
}

// -errno for a failed call (`result` == -1), the result otherwise.
static inline napi_value outcome(napi_env env, long result) { return number(env, result == -1 ? -errno : result); }

static inline napi_value bad_arguments(napi_env env) { return number(env, -EINVAL); }

// array[index] = value; false if either failed.
static inline bool set_element(napi_env env, napi_value array, uint32_t index, napi_value value) {
  return value != NULL && napi_set_element(env, array, index, value) == napi_ok;
}

// object.name = value; false if either failed.
static inline bool set_property(napi_env env, napi_value object, const char *name, napi_value value) {
  return value != NULL && napi_set_named_property(env, object, name, value) == napi_ok;
}

#endif
