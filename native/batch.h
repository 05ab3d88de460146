/*
 * The hand-off both batch engines of the addon use (prober.c, front.c): fixed-size records and
 * the bytes they point into, collected during one wake-up on the event loop thread and given to
 * JavaScript in one callback as two Buffers.
 */
#ifndef HALO_BATCH_H
#define HALO_BATCH_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>

/* A Buffer this large is dropped after a hand-off rather than kept for the life of the process. */
#define BATCH_KEEP_MAX (4u * 1024 * 1024)

typedef struct batch_out {
  unsigned char *rec;
  size_t rec_len, rec_cap;
  unsigned char *data;
  size_t data_len, data_cap;
} batch_out;

/* Grows *buf to hold `need` bytes (doubling from 4 KiB); -1 when out of memory. */
static inline int batch_grow(unsigned char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  unsigned char *b = realloc(*buf, n);
  if (!b) return -1;
  *buf = b;
  *cap = n;
  return 0;
}

/*
 * Calls `callback(records, data)` with copies of what `b` holds and empties it. An exception the
 * callback throws is reported as uncaught, as Node does for its own I/O callbacks.
 */
static inline void batch_deliver(napi_env env, napi_ref callback, napi_async_context ctx, batch_out *b) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  void *copy;
  if (napi_get_reference_value(env, callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv);
    napi_create_buffer_copy(env, b->rec_len, b->rec, &copy, &argv[0]);
    if (b->data_len) napi_create_buffer_copy(env, b->data_len, b->data, &copy, &argv[1]);
    else napi_create_buffer(env, 0, &copy, &argv[1]);
    b->rec_len = 0;
    b->data_len = 0;
    if (b->data_cap > BATCH_KEEP_MAX) {
      free(b->data);
      b->data = NULL;
      b->data_cap = 0;
    }
    napi_make_callback(env, ctx, recv, cb, 2, argv, &result);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static inline void batch_free(batch_out *b) {
  free(b->rec);
  free(b->data);
  b->rec = b->data = NULL;
  b->rec_len = b->rec_cap = b->data_len = b->data_cap = 0;
}

#endif
