/* The argument prologue of the addon's JavaScript functions (prober.c, front.c). */
#ifndef HALO_NAPI_ARGS_H
#define HALO_NAPI_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>

/* Declares argv[n] from the call; with fewer than n arguments, throws EINVAL naming `usage` and returns. */
#define HALO_ARGS(n, usage)                                                                        \
  size_t argc = n;                                                                                 \
  napi_value argv[n];                                                                              \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {               \
    napi_throw_error(env, "EINVAL", usage);                                                        \
    return NULL;                                                                                   \
  }

#endif
