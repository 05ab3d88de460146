/*
 * halo_net batch prober: TCP_CHECK and plain HTTP_GET connections without one Node socket each.
 *
 * A Node net.Socket costs about 90 us of CPU per connection (JS object, libuv handle, stream
 * state, GC); at 10,000 checks a second that alone is about a core. Here a probe is a slot in a
 * fixed array, a non-blocking socket registered on one epoll fd, and one libuv timer for its
 * deadline. Everything runs on the Node event loop thread (no locks): libuv polls the epoll fd
 * (uv_poll), each wake-up drains a bounded batch of events, and finished probes go back to
 * JavaScript in one callback per loop turn as two Buffers (fixed-size records and the bytes read).
 *
 * Submission: submit(handle, records, requests) with 64-byte records (layout in PROBE_REC_* below
 * and in src/check/probes/native-prober.ts); it accepts as many as there are free slots and
 * returns that count, the caller keeps the rest queued.
 *
 * A probe: socket, optional bind (bindto / bind_port), connect; TCP mode ends at the connect;
 * HTTP mode writes the request, then reads until the peer closes, the byte limit is reached, or
 * the response is visibly complete (headers end and Content-Length body read, a chunked body's
 * last chunk, or a body-less status), and JavaScript parses what was read with halo's own HTTP
 * logic. A connection that is still open when the probe ends is closed with a reset (SO_LINGER 0)
 * so that it leaves no TIME_WAIT socket behind, as the Node path does (src/check/probes/tcp.ts).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "batch.h"
#include "napi_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_REC_BYTES 64
#define RESULT_REC_BYTES 32
/* Events taken from epoll per wake-up: bounds how long one wake-up holds the event loop. */
#define EPOLL_BATCH 256
#define EPOLL_ROUNDS_MAX 16
#define MAX_IN_FLIGHT_LIMIT 65536
#define REQUEST_MAX_BYTES 16384
#define READ_MAX_LIMIT (16u * 1024 * 1024)
#define READ_CHUNK 16384
/* All response bytes held by probes in flight: past this a probe ends with ENOBUFS instead of
 * growing its buffer (each probe is bounded by its max_read too). */
#define BUFFERED_MAX_BYTES (256u * 1024 * 1024)

enum { MODE_TCP = 0, MODE_HTTP = 1 };
enum { FLAG_NO_BODY = 1, FLAG_BIND = 2 };
/* Result status, mirrored in native-prober.ts. */
enum {
  ST_CONNECTED = 0, /* TCP: connected */
  ST_EOF = 1,       /* HTTP: the peer closed after sending what is in the data */
  ST_LIMIT = 2,     /* HTTP: the byte limit was reached */
  ST_COMPLETE = 3,  /* HTTP: the response looked complete before the peer closed */
  ST_REFUSED = 4,
  ST_TIMEOUT = 5,
  ST_RESET = 6,
  ST_ERROR = 7, /* errno in the record */
};
enum { PH_FREE = 0, PH_CONNECTING = 1, PH_SENDING = 2, PH_READING = 3 };

typedef struct prober prober;

typedef struct slot {
  prober *p;
  uint32_t index;
  uint32_t gen;
  int fd;
  int phase;
  uint32_t id;
  int mode;
  int flags;
  uint32_t max_read;
  uint64_t start_ns;
  uint64_t connect_ns;
  char *req;
  uint32_t req_len, req_sent;
  char *buf;
  uint32_t len, cap;
  int32_t header_end; /* offset of "\r\n\r\n", -1 while not seen */
  uv_timer_t timer;
  uint32_t next_free;
} slot;

struct prober {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  int epfd;
  uv_poll_t poll;
  uv_idle_t idle;
  slot *slots;
  uint32_t nslots, in_flight, free_head;
  /* Finished probes not yet handed to JavaScript. */
  batch_out out;
  int closing;
  int collected; /* the JS handle was garbage-collected */
  uint32_t open_handles;
  uint64_t submitted, finished;
  uint64_t buffered; /* bytes of read buffers held by probes in flight */
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_u32(unsigned char *b, uint32_t v) { memcpy(b, &v, 4); }
static uint32_t get_u32(const unsigned char *b) {
  uint32_t v;
  memcpy(&v, b, 4);
  return v;
}
static uint16_t get_u16(const unsigned char *b) {
  uint16_t v;
  memcpy(&v, b, 2);
  return v;
}


static void throw_code(napi_env env, const char *code, const char *msg) { napi_throw_error(env, code, msg); }

/* ---------- finishing a probe ---------- */

static void close_fd(slot *s, int reset) {
  if (s->fd < 0) return;
  if (reset) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  /* close() also removes the fd from the epoll set (it is never dup'ed). */
  close(s->fd);
  s->fd = -1;
}

static void schedule_flush(prober *p);

static void finish(slot *s, int status, int err, int reset) {
  prober *p = s->p;
  uint64_t t = now_ns();
  uv_timer_stop(&s->timer);
  close_fd(s, reset);
  size_t dlen = s->mode == MODE_HTTP ? s->len : 0;
  /* Room for the record was reserved at submit; without room for the bytes, the probe reports
   * ENOMEM instead of its data, so a result is never lost. */
  if (dlen && batch_grow(&p->out.data, &p->out.data_cap, p->out.data_len + dlen) != 0) {
    dlen = 0;
    status = ST_ERROR;
    err = ENOMEM;
  }
  if (batch_grow(&p->out.rec, &p->out.rec_cap, p->out.rec_len + RESULT_REC_BYTES) == 0) {
    unsigned char *r = p->out.rec + p->out.rec_len;
    memset(r, 0, RESULT_REC_BYTES);
    put_u32(r, s->id);
    r[4] = (unsigned char)status;
    r[5] = (unsigned char)s->phase;
    int32_t e = err;
    memcpy(r + 8, &e, 4);
    put_u32(r + 12, (uint32_t)p->out.data_len);
    put_u32(r + 16, (uint32_t)dlen);
    put_u32(r + 20, s->connect_ns ? (uint32_t)((s->connect_ns - s->start_ns) / 1000) : 0xffffffffu);
    put_u32(r + 24, (uint32_t)((t - s->start_ns) / 1000));
    if (dlen) memcpy(p->out.data + p->out.data_len, s->buf, dlen);
    p->out.rec_len += RESULT_REC_BYTES;
    p->out.data_len += dlen;
  }
  free(s->req);
  free(s->buf);
  p->buffered -= s->cap;
  s->req = NULL;
  s->buf = NULL;
  s->len = s->cap = 0;
  s->phase = PH_FREE;
  s->gen++;
  s->next_free = p->free_head;
  p->free_head = s->index;
  p->in_flight--;
  p->finished++;
  schedule_flush(p);
}

static void deliver(prober *p) {
  if (p->out.rec_len == 0 || p->closing) return;
  batch_deliver(p->env, p->callback, p->async_ctx, &p->out);
}

/* Timeouts finish probes from timer callbacks, one per probe; an idle handle hands them to
 * JavaScript together before the loop next blocks, instead of one callback each. */
static void on_idle(uv_idle_t *h) {
  prober *p = h->data;
  uv_idle_stop(h);
  deliver(p);
}

static void schedule_flush(prober *p) {
  if (!p->closing && !uv_is_active((uv_handle_t *)&p->idle)) uv_idle_start(&p->idle, on_idle);
}

static void on_timeout(uv_timer_t *t) {
  slot *s = t->data;
  if (s->phase == PH_FREE) return;
  finish(s, ST_TIMEOUT, 0, 0);
}

/* ---------- the connection ---------- */

static int status_of_errno(int e) {
  if (e == ECONNREFUSED) return ST_REFUSED;
  if (e == ECONNRESET) return ST_RESET;
  return ST_ERROR;
}

static int epoll_set(slot *s, uint32_t events, int op) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = ((uint64_t)s->gen << 32) | s->index;
  return epoll_ctl(s->p->epfd, op, s->fd, &ev);
}

/* Is the response visibly complete? Only a shortcut for servers that keep the connection open;
 * JavaScript still parses and judges every byte. */
static int http_complete(slot *s, uint32_t from) {
  if (s->len >= 5 && memcmp(s->buf, "HTTP/", 5) != 0) return 1; /* not HTTP: JS reports it */
  if (s->header_end < 0) {
    uint32_t i = from > 3 ? from - 3 : 0;
    for (; i + 4 <= s->len; i++)
      if (memcmp(s->buf + i, "\r\n\r\n", 4) == 0) {
        s->header_end = (int32_t)i;
        break;
      }
    if (s->header_end < 0) return 0;
  }
  uint32_t body = (uint32_t)s->header_end + 4;
  if (s->flags & FLAG_NO_BODY) return 1;
  if (s->len >= 12) {
    int code = (s->buf[9] - '0') * 100 + (s->buf[10] - '0') * 10 + (s->buf[11] - '0');
    if (code == 204 || code == 304) return 1;
  }
  /* Header names are matched case-insensitively at the start of a line. */
  const char *h = s->buf;
  uint32_t end = (uint32_t)s->header_end;
  for (uint32_t i = 0; i + 2 < end; i++) {
    if (h[i] != '\r' || h[i + 1] != '\n') continue;
    const char *line = h + i + 2;
    uint32_t left = end - (i + 2);
    if (left > 15 && strncasecmp(line, "content-length:", 15) == 0) {
      uint64_t n = 0;
      uint32_t j = 15;
      while (j < left && (line[j] == ' ' || line[j] == '\t')) j++;
      if (j >= left || line[j] < '0' || line[j] > '9') return 0;
      while (j < left && line[j] >= '0' && line[j] <= '9' && n < READ_MAX_LIMIT) n = n * 10 + (uint64_t)(line[j++] - '0');
      return (uint64_t)(s->len - body) >= n;
    }
    if (left > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
      return s->len >= body + 5 && memcmp(s->buf + s->len - 5, "0\r\n\r\n", 5) == 0;
    }
  }
  return 0;
}

static void on_readable_slot(slot *s) {
  for (int round = 0; round < 64; round++) {
    if (s->len >= s->max_read) return finish(s, ST_LIMIT, 0, 1);
    if (s->cap - s->len < 1024 && s->cap < s->max_read) {
      size_t cap = s->cap;
      uint32_t want = s->cap ? s->cap * 2 : READ_CHUNK;
      if (want > s->max_read) want = s->max_read;
      if (s->p->buffered + (want - s->cap) > BUFFERED_MAX_BYTES) return finish(s, ST_ERROR, ENOBUFS, 1);
      if (batch_grow((unsigned char **)&s->buf, &cap, want)) return finish(s, ST_ERROR, ENOMEM, 1);
      s->p->buffered += cap - s->cap;
      s->cap = (uint32_t)cap;
    }
    uint32_t room = s->cap - s->len;
    if (room > s->max_read - s->len) room = s->max_read - s->len;
    ssize_t n = recv(s->fd, s->buf + s->len, room, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return finish(s, status_of_errno(errno), errno, 0);
    }
    if (n == 0) return finish(s, ST_EOF, 0, 0);
    uint32_t from = s->len;
    s->len += (uint32_t)n;
    if (http_complete(s, from)) return finish(s, ST_COMPLETE, 0, 1);
    if ((uint32_t)n < room) return; /* drained for now; level-triggered epoll calls again */
  }
}

static void try_send(slot *s) {
  while (s->req_sent < s->req_len) {
    ssize_t n = send(s->fd, s->req + s->req_sent, s->req_len - s->req_sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return; /* EPOLLOUT is still armed */
      return finish(s, status_of_errno(errno), errno, 0);
    }
    s->req_sent += (uint32_t)n;
  }
  s->phase = PH_READING;
  if (epoll_set(s, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD) < 0) return finish(s, ST_ERROR, errno, 1);
}

static void on_connected(slot *s) {
  s->connect_ns = now_ns();
  if (s->mode == MODE_TCP) return finish(s, ST_CONNECTED, 0, 1);
  s->phase = PH_SENDING;
  try_send(s);
}

static void on_event(slot *s, uint32_t ev) {
  if (s->phase == PH_CONNECTING) {
    /* Writable without an error or hang-up: the connect completed (connect(2), EINPROGRESS).
     * Only then is SO_ERROR's system call saved; anything else asks the socket. */
    if ((ev & (EPOLLERR | EPOLLHUP)) == 0) {
      if (ev & EPOLLOUT) on_connected(s);
      return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err) return finish(s, status_of_errno(err), err, 0);
    on_connected(s); /* as libuv: no pending error means the connect succeeded */
    return;
  }
  if (s->phase == PH_SENDING) {
    if (ev & EPOLLERR) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      return finish(s, status_of_errno(err ? err : EPIPE), err ? err : EPIPE, 0);
    }
    return try_send(s);
  }
  if (s->phase == PH_READING) on_readable_slot(s);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  prober *p = h->data;
  if (p->closing) return;
  struct epoll_event evs[EPOLL_BATCH];
  for (int round = 0; round < EPOLL_ROUNDS_MAX; round++) {
    int n = epoll_wait(p->epfd, evs, EPOLL_BATCH, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t idx = (uint32_t)(evs[i].data.u64 & 0xffffffffu);
      uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
      if (idx >= p->nslots) continue;
      slot *s = &p->slots[idx];
      if (s->phase == PH_FREE || s->gen != gen) continue; /* finished earlier in this batch */
      on_event(s, evs[i].events);
    }
    if (n < EPOLL_BATCH) break;
  }
  deliver(p);
}

/* Starts one probe in a free slot; a probe that fails at once (socket, bind, connect) is finished
 * here and its result handed over with the next batch. */
static void start_probe(prober *p, const unsigned char *r, napi_env env, napi_value requests) {
  slot *s = &p->slots[p->free_head];
  p->free_head = s->next_free;
  p->in_flight++;
  p->submitted++;
  s->id = get_u32(r);
  int family = r[4] == 6 ? AF_INET6 : AF_INET;
  s->mode = r[5] == MODE_HTTP ? MODE_HTTP : MODE_TCP;
  s->flags = r[6];
  uint16_t port = get_u16(r + 8), bind_port = get_u16(r + 10);
  uint32_t timeout_ms = get_u32(r + 12);
  s->max_read = get_u32(r + 16);
  if (s->max_read == 0 || s->max_read > READ_MAX_LIMIT) s->max_read = READ_MAX_LIMIT;
  int32_t req_index;
  memcpy(&req_index, r + 20, 4);
  s->phase = PH_CONNECTING;
  s->start_ns = now_ns();
  s->connect_ns = 0;
  s->len = s->cap = 0;
  s->buf = NULL;
  s->req = NULL;
  s->req_len = s->req_sent = 0;
  s->header_end = -1;
  s->fd = -1;
  uv_timer_start(&s->timer, on_timeout, timeout_ms, 0);

  if (s->mode == MODE_HTTP && req_index >= 0) {
    napi_value b;
    void *data = NULL;
    size_t len = 0;
    bool isbuf = false;
    if (napi_get_element(env, requests, (uint32_t)req_index, &b) != napi_ok || napi_is_buffer(env, b, &isbuf) != napi_ok || !isbuf ||
        napi_get_buffer_info(env, b, &data, &len) != napi_ok || len > REQUEST_MAX_BYTES)
      return finish(s, ST_ERROR, EINVAL, 0);
    s->req = malloc(len ? len : 1);
    if (!s->req) return finish(s, ST_ERROR, ENOMEM, 0);
    memcpy(s->req, data, len);
    s->req_len = (uint32_t)len;
  }

  s->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (s->fd < 0) return finish(s, ST_ERROR, errno, 0);
  struct sockaddr_storage to, local;
  socklen_t tolen, locallen;
  memset(&to, 0, sizeof to);
  memset(&local, 0, sizeof local);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&to, *l = (struct sockaddr_in *)&local;
    a->sin_family = l->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, r + 24, 4);
    l->sin_port = htons(bind_port);
    memcpy(&l->sin_addr, r + 40, 4);
    tolen = locallen = sizeof(struct sockaddr_in);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to, *l = (struct sockaddr_in6 *)&local;
    a->sin6_family = l->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    memcpy(&a->sin6_addr, r + 24, 16);
    l->sin6_port = htons(bind_port);
    memcpy(&l->sin6_addr, r + 40, 16);
    tolen = locallen = sizeof(struct sockaddr_in6);
  }
  if (s->flags & FLAG_BIND) {
    if (bind(s->fd, (struct sockaddr *)&local, locallen) < 0) return finish(s, ST_ERROR, errno, 0);
  }
  if (connect(s->fd, (struct sockaddr *)&to, tolen) == 0) {
    if (epoll_set(s, EPOLLOUT, EPOLL_CTL_ADD) < 0) return finish(s, ST_ERROR, errno, 0);
    return on_connected(s);
  }
  if (errno != EINPROGRESS) return finish(s, status_of_errno(errno), errno, 0);
  if (epoll_set(s, EPOLLOUT, EPOLL_CTL_ADD) < 0) return finish(s, ST_ERROR, errno, 0);
}

/* ---------- JavaScript API ---------- */

static void on_external_gc(napi_env env, void *data, void *hint);

static prober *unwrap_prober(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok || !data) {
    throw_code(env, "EINVAL", "Not a prober handle");
    return NULL;
  }
  prober *p = data;
  if (p->closing) {
    throw_code(env, "EBADF", "Prober is closed");
    return NULL;
  }
  return p;
}

/* proberCreate(onResults(records: Buffer, data: Buffer), maxInFlight) -> handle */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t;
  int32_t max = 0;
  if (argc < 2 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function || napi_get_value_int32(env, argv[1], &max) != napi_ok || max < 1 ||
      max > MAX_IN_FLIGHT_LIMIT) {
    throw_code(env, "EINVAL", "proberCreate(onResults, maxInFlight 1..65536)");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  prober *p = calloc(1, sizeof *p);
  if (!p) {
    throw_code(env, "ENOMEM", "Cannot allocate the prober");
    return NULL;
  }
  p->slots = calloc((size_t)max, sizeof(slot));
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!p->slots || p->epfd < 0) {
    if (p->epfd >= 0) close(p->epfd);
    free(p->slots);
    free(p);
    throw_code(env, "ENOMEM", "Cannot create the prober (epoll or slots)");
    return NULL;
  }
  p->env = env;
  p->nslots = (uint32_t)max;
  for (uint32_t i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    s->p = p;
    s->index = i;
    s->fd = -1;
    s->next_free = i + 1;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    p->open_handles++;
  }
  p->free_head = 0;
  uv_poll_init(loop, &p->poll, p->epfd);
  p->poll.data = p;
  uv_poll_start(&p->poll, UV_READABLE, on_poll);
  /* In-flight probes keep the process alive through their timers; an idle prober does not. */
  uv_unref((uv_handle_t *)&p->poll);
  uv_idle_init(loop, &p->idle);
  p->idle.data = p;
  uv_unref((uv_handle_t *)&p->idle);
  p->open_handles += 2;
  napi_create_reference(env, argv[0], 1, &p->callback);
  napi_value name, out;
  napi_create_string_utf8(env, "halo.prober", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->async_ctx);
  napi_create_external(env, p, on_external_gc, NULL, &out);
  return out;
}

/* proberSubmit(handle, records: Buffer (n x 64 bytes), requests: Buffer[]) -> accepted count */
static napi_value js_submit(napi_env env, napi_callback_info info) {
  HALO_ARGS(3, "proberSubmit(handle, records, requests)")
  prober *p = unwrap_prober(env, argv[0]);
  if (!p) return NULL;
  void *data = NULL;
  size_t len = 0;
  bool isarr = false;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len % PROBE_REC_BYTES != 0 || napi_is_array(env, argv[2], &isarr) != napi_ok ||
      !isarr) {
    throw_code(env, "EINVAL", "proberSubmit: records must be a Buffer of 64-byte records and requests an array");
    return NULL;
  }
  size_t n = len / PROBE_REC_BYTES, done = 0;
  /* Deadlines count from now, not from the loop's cached time (which is as old as this turn). */
  uv_update_time(p->poll.loop);
  /* Reserve a result record for every slot that can be in flight, so finishing never fails. */
  if (batch_grow(&p->out.rec, &p->out.rec_cap, (size_t)p->nslots * RESULT_REC_BYTES) != 0) {
    throw_code(env, "ENOMEM", "Cannot reserve prober results");
    return NULL;
  }
  for (; done < n && p->in_flight < p->nslots; done++) start_probe(p, (const unsigned char *)data + done * PROBE_REC_BYTES, env, argv[2]);
  /* Probes that failed at once (refused on connect, bad bind) are handed back on the next turn. */
  napi_value out;
  napi_create_uint32(env, (uint32_t)done, &out);
  return out;
}

/* proberStats(handle) -> { inFlight, slots, submitted, finished, nofileSoft, nofileHard } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  HALO_ARGS(1, "proberStats(handle)")
  prober *p = unwrap_prober(env, argv[0]);
  if (!p) return NULL;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_uint32(env, p->in_flight, &v);
  napi_set_named_property(env, out, "inFlight", v);
  napi_create_uint32(env, p->nslots, &v);
  napi_set_named_property(env, out, "slots", v);
  napi_create_double(env, (double)p->submitted, &v);
  napi_set_named_property(env, out, "submitted", v);
  napi_create_double(env, (double)p->finished, &v);
  napi_set_named_property(env, out, "finished", v);
  napi_create_double(env, rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur, &v);
  napi_set_named_property(env, out, "nofileSoft", v);
  napi_create_double(env, rl.rlim_max == RLIM_INFINITY ? -1 : (double)rl.rlim_max, &v);
  napi_set_named_property(env, out, "nofileHard", v);
  return out;
}

/* raiseNofile() -> { before, after }: RLIMIT_NOFILE soft limit raised to the hard limit. */
static napi_value js_raise_nofile(napi_env env, napi_callback_info info) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  double before = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
  if (rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_double(env, before, &v);
  napi_set_named_property(env, out, "before", v);
  napi_create_double(env, rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur, &v);
  napi_set_named_property(env, out, "after", v);
  return out;
}

/* proberAddr(ip) -> Buffer of 16 bytes (IPv4 in the first 4) or null: inet_pton for the records. */
static napi_value js_addr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ip[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  unsigned char bytes[16];
  memset(bytes, 0, sizeof bytes);
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &n) != napi_ok || n >= sizeof ip - 1 ||
      (inet_pton(AF_INET, ip, bytes) != 1 && inet_pton(AF_INET6, ip, bytes) != 1)) {
    napi_get_null(env, &out);
    return out;
  }
  void *copy;
  napi_create_buffer_copy(env, sizeof bytes, bytes, &copy, &out);
  return out;
}

static void on_handle_closed(uv_handle_t *h) {
  prober *p = h->data;
  if (h->type == UV_TIMER) p = ((slot *)h->data)->p;
  if (--p->open_handles == 0) {
    free(p->slots);
    batch_free(&p->out);
    p->slots = NULL;
    if (p->collected) free(p);
  }
}

/* The JS handle is gone: free the prober once its handles are closed (proberClose). A prober
 * that was never closed keeps running: in-flight probes still end and call back. */
static void on_external_gc(napi_env env, void *data, void *hint) {
  prober *p = data;
  p->collected = 1;
  if (p->closing && p->open_handles == 0) free(p);
}

/* proberClose(handle): ends every probe in flight without a callback and frees the prober. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  HALO_ARGS(1, "proberClose(handle)")
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    throw_code(env, "EINVAL", "Not a prober handle");
    return NULL;
  }
  prober *p = data;
  if (p->closing) return NULL;
  p->closing = 1;
  for (uint32_t i = 0; i < p->nslots; i++) {
    slot *s = &p->slots[i];
    close_fd(s, s->phase != PH_FREE && s->phase != PH_CONNECTING);
    free(s->req);
    free(s->buf);
    s->req = s->buf = NULL;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
  }
  uv_poll_stop(&p->poll);
  close(p->epfd);
  uv_close((uv_handle_t *)&p->poll, on_handle_closed);
  uv_idle_stop(&p->idle);
  uv_close((uv_handle_t *)&p->idle, on_handle_closed);
  napi_delete_reference(env, p->callback);
  napi_async_destroy(env, p->async_ctx);
  return NULL;
}

void halo_prober_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"proberCreate", NULL, js_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proberSubmit", NULL, js_submit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proberStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proberClose", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"proberAddr", NULL, js_addr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"raiseNofile", NULL, js_raise_nofile, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
