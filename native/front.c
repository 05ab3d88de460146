/*
 * halo_net socket front: the HTTP proxy's connections (clients and backends) without one Node
 * socket each.
 *
 * A Node net.Socket costs tens of microseconds of CPU per connection before a byte is read (the
 * JS object, its stream state, a libuv handle, a C++ wrap that only the garbage collector frees);
 * on a proxy that sees a new connection per request that is most of its CPU. Here an accepted
 * connection is a slot in an array and a non-blocking fd on one epoll set; the protocol stays in
 * TypeScript (src/proxy/native-front.ts, src/proxy/http-proxy.ts).
 *
 * Everything runs on the Node event loop thread (no locks), as the prober does: libuv polls the
 * epoll fd (uv_poll), each wake-up accepts and reads a bounded batch, and the events go to
 * JavaScript in one callback per wake-up as two Buffers (16-byte records, and the bytes read).
 * Writes are made from JavaScript synchronously; what the kernel does not take is queued here and
 * flushed on EPOLLOUT, and a DRAIN event tells JavaScript when the queue is empty again.
 *
 * Listening: the listening socket stays a Node server (binding, cluster sharing, errors, close);
 * the front takes its fd out of libuv's own epoll set (uv_backend_fd, libuv's public API) and
 * accepts on it. libuv re-arms a watcher only when its event mask changes, which it never does for
 * a listener nobody accepts on; should it ever, Node accepts some connections itself and halo
 * serves them on its Node-socket path, so nothing is lost either way.
 *
 * Records (little-endian): kind u8, 3 pad, slot u32, a u32, b u32.
 *   ACCEPT  a = listening fd
 *   DATA    a = offset in the data Buffer, b = length
 *   EOF     the peer sent its FIN
 *   DRAIN   the write queue emptied
 *   ERROR   a = errno; the slot stops polling, JavaScript closes it
 *   CLOSED  the front closed the slot itself (end() done and the peer's FIN seen, or
 *           closeAfterFlush finished); the slot is free again
 *   CONNECT an outgoing connection (frontConnect) is up
 *
 * Outgoing connections: the proxy's connections to its backends are slots too (frontConnect), so
 * a request through a kept upstream connection costs no Node stream either.
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
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define REC_BYTES 16
#define EPOLL_BATCH 256
/* Accepts per listener per wake-up, and bytes read per connection per wake-up: bound one turn. */
#define ACCEPT_BATCH 64
#define READ_CHUNK 65536
#define READ_PER_CONN_MAX (256 * 1024)
/* Bytes read per wake-up over all connections; the rest waits for the next one (level-triggered). */
#define BATCH_DATA_MAX (4u * 1024 * 1024)
#define MAX_SLOTS_LIMIT (1u << 20)
#define MAX_LISTENERS 64
#define LISTENER_TAG 0xffffffffu

enum { EV_ACCEPT = 1, EV_DATA = 2, EV_EOF = 3, EV_DRAIN = 4, EV_ERROR = 5, EV_CLOSED = 6, EV_CONNECT = 7 };
enum { F_USED = 1, F_READING = 2, F_EOF = 4, F_SHUT = 8, F_END_PENDING = 16, F_CLOSE_PENDING = 32, F_DEAD = 64, F_CONNECTING = 128 };

typedef struct fconn {
  int fd;
  uint32_t flags;
  uint32_t events; /* the mask registered in epoll */
  char *q;         /* bytes the kernel did not take yet */
  size_t qoff, qlen, qcap;
  uint32_t next_free;
} fconn;

typedef struct front {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  int epfd;
  uv_poll_t poll;
  fconn *c;
  uint32_t nslots, max_slots, free_head, open;
  int listeners[MAX_LISTENERS];
  int nlisteners;
  batch_out out;
  int closing;
  uint64_t accepted, connects, queued_bytes;
} front;


static void emit(front *f, int kind, uint32_t slot, uint32_t a, uint32_t b) {
  if (batch_grow(&f->out.rec, &f->out.rec_cap, f->out.rec_len + REC_BYTES) != 0) return; /* out of memory: dropped */
  unsigned char *r = f->out.rec + f->out.rec_len;
  memset(r, 0, REC_BYTES);
  r[0] = (unsigned char)kind;
  memcpy(r + 4, &slot, 4);
  memcpy(r + 8, &a, 4);
  memcpy(r + 12, &b, 4);
  f->out.rec_len += REC_BYTES;
}

static int set_events(front *f, uint32_t slot, uint32_t events) {
  fconn *c = &f->c[slot];
  if (c->events == events) return 0;
  struct epoll_event ev = {.events = events, .data.u64 = slot};
  int rc = epoll_ctl(f->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  if (rc == 0) c->events = events;
  return rc;
}

static uint32_t wanted(const fconn *c) {
  if (c->flags & F_CONNECTING) return EPOLLOUT; /* writable = the connect finished, one way or the other */
  uint32_t e = 0;
  if ((c->flags & (F_READING | F_EOF | F_DEAD)) == F_READING) e |= EPOLLIN | EPOLLRDHUP;
  if (c->qlen > c->qoff && !(c->flags & F_DEAD)) e |= EPOLLOUT;
  return e;
}

static void release(front *f, uint32_t slot) {
  fconn *c = &f->c[slot];
  if (c->fd >= 0) close(c->fd); /* also leaves the epoll set: the fd is never dup'ed */
  f->queued_bytes -= c->qlen - c->qoff;
  free(c->q);
  memset(c, 0, sizeof *c);
  c->fd = -1;
  c->next_free = f->free_head;
  f->free_head = slot;
  f->open--;
}

/*
 * The connection failed: stop polling it. From a wake-up JavaScript hears of it by an ERROR
 * event; from a JavaScript call (report 0) by the call's return value, never by an event that
 * would wait for a wake-up that may not come.
 */
static void fail(front *f, uint32_t slot, int err, int report) {
  fconn *c = &f->c[slot];
  if (c->flags & F_DEAD) return;
  c->flags |= F_DEAD;
  epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  c->events = 0;
  if (report) emit(f, EV_ERROR, slot, (uint32_t)err, 0);
}

/* Nothing more can happen on the connection: closeAfterFlush flushed, or FIN sent and received. */
static int finished(const fconn *c) {
  if ((c->flags & F_CLOSE_PENDING) && c->qlen == c->qoff) return 1;
  return (c->flags & F_SHUT) && (c->flags & F_EOF);
}

/* From a wake-up: release a finished connection and tell JavaScript. */
static int maybe_finish(front *f, uint32_t slot) {
  if (!finished(&f->c[slot])) return 0;
  release(f, slot);
  emit(f, EV_CLOSED, slot, 0, 0);
  return 1;
}

static int flush(front *f, uint32_t slot) {
  fconn *c = &f->c[slot];
  while (c->qoff < c->qlen) {
    ssize_t n = send(c->fd, c->q + c->qoff, c->qlen - c->qoff, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -errno;
    }
    c->qoff += (size_t)n;
    f->queued_bytes -= (size_t)n;
  }
  c->qoff = c->qlen = 0;
  if (c->qcap > READ_CHUNK) {
    free(c->q);
    c->q = NULL;
    c->qcap = 0;
  }
  return 1;
}

static void on_conn_event(front *f, uint32_t slot, uint32_t events) {
  fconn *c = &f->c[slot];
  if (!(c->flags & F_USED) || (c->flags & F_DEAD)) return;
  if (c->flags & F_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(f, slot, err, 1);
    c->flags &= ~F_CONNECTING;
    c->flags |= F_READING;
    emit(f, EV_CONNECT, slot, 0, 0);
    events &= ~(uint32_t)EPOLLOUT;
    if (c->qlen > c->qoff) events |= EPOLLOUT; /* bytes written while connecting go now */
  }
  if (events & EPOLLOUT) {
    int rc = flush(f, slot);
    if (rc < 0) return fail(f, slot, -rc, 1);
    if (rc == 1) {
      if (c->flags & F_END_PENDING) {
        c->flags &= ~F_END_PENDING;
        shutdown(c->fd, SHUT_WR);
        c->flags |= F_SHUT;
      }
      if (maybe_finish(f, slot)) return;
      emit(f, EV_DRAIN, slot, 0, 0);
    }
  }
  if (f->out.data_len >= BATCH_DATA_MAX) {
    /* this turn's batch is full: epoll reports the connection again on the next wake-up */
  } else if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && (c->flags & F_READING) && !(c->flags & F_EOF)) {
    size_t got = 0;
    while (got < READ_PER_CONN_MAX) {
      if (batch_grow(&f->out.data, &f->out.data_cap, f->out.data_len + READ_CHUNK) != 0) return fail(f, slot, ENOMEM, 1);
      ssize_t n = recv(c->fd, f->out.data + f->out.data_len, READ_CHUNK, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return fail(f, slot, errno, 1);
      }
      if (n == 0) {
        c->flags |= F_EOF;
        emit(f, EV_EOF, slot, 0, 0);
        if (maybe_finish(f, slot)) return;
        break;
      }
      emit(f, EV_DATA, slot, (uint32_t)f->out.data_len, (uint32_t)n);
      f->out.data_len += (size_t)n;
      got += (size_t)n;
      if ((size_t)n < READ_CHUNK) break; /* drained: another recv would only say EAGAIN */
    }
  } else if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLOUT)) {
    /* not reading (paused or after EOF) and the connection broke: report it once */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    return fail(f, slot, err ? err : EPIPE, 1);
  }
  if (set_events(f, slot, wanted(c)) != 0) fail(f, slot, errno, 1);
}

static int take_slot(front *f) {
  if (f->free_head != UINT32_MAX) {
    uint32_t s = f->free_head;
    f->free_head = f->c[s].next_free;
    return (int)s;
  }
  if (f->nslots >= f->max_slots) return -1;
  uint32_t n = f->nslots ? f->nslots * 2 : 1024;
  if (n > f->max_slots) n = f->max_slots;
  fconn *c = realloc(f->c, (size_t)n * sizeof *c);
  if (!c) return -1;
  for (uint32_t i = f->nslots; i < n; i++) {
    memset(&c[i], 0, sizeof c[i]);
    c[i].fd = -1;
    c[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
  }
  f->c = c;
  f->free_head = f->nslots;
  f->nslots = n;
  return take_slot(f);
}

static void on_listener(front *f, int lfd) {
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or EMFILE/ENFILE: tried again on the next wake-up */
    int s = take_slot(f);
    if (s < 0) {
      close(fd);
      continue;
    }
    fconn *c = &f->c[s];
    c->fd = fd;
    c->flags = F_USED | F_READING;
    c->events = EPOLLIN | EPOLLRDHUP;
    struct epoll_event ev = {.events = c->events, .data.u64 = (uint64_t)s};
    if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      f->open++;
      release(f, (uint32_t)s);
      continue;
    }
    f->open++;
    f->accepted++;
    emit(f, EV_ACCEPT, (uint32_t)s, (uint32_t)lfd, 0);
  }
}

static void deliver(front *f) {
  if (f->closing) f->out.rec_len = f->out.data_len = 0;
  if (f->out.rec_len == 0) return;
  batch_deliver(f->env, f->callback, f->async_ctx, &f->out);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  front *f = h->data;
  if (f->closing) return;
  struct epoll_event evs[EPOLL_BATCH];
  int n = epoll_wait(f->epfd, evs, EPOLL_BATCH, 0);
  for (int i = 0; i < n; i++) {
    uint64_t d = evs[i].data.u64;
    if ((uint32_t)(d >> 32) == LISTENER_TAG) on_listener(f, (int)(uint32_t)d);
    else if ((uint32_t)d < f->nslots) on_conn_event(f, (uint32_t)d, evs[i].events);
  }
  deliver(f);
}

/* ---------- JavaScript API ---------- */

static void finalize_front(napi_env env, void *data, void *hint);


static front *front_of(napi_env env, napi_value v) {
  front *f = NULL;
  if (napi_unwrap(env, v, (void **)&f) != napi_ok || f == NULL || f->closing) {
    napi_throw_error(env, "EBADF", "front: closed or not a front handle");
    return NULL;
  }
  return f;
}

static fconn *conn_of(napi_env env, front *f, napi_value v, uint32_t *slot) {
  if (napi_get_value_uint32(env, v, slot) != napi_ok || *slot >= f->nslots || !(f->c[*slot].flags & F_USED)) {
    napi_throw_error(env, "EBADF", "front: no such connection");
    return NULL;
  }
  return &f->c[*slot];
}

/* The arguments (handle, slot, ...) of a per-connection call: defines f, slot and c, or returns. */
#define CONN_ARGS(n)                                                                               \
  HALO_ARGS(n, "front: wrong arguments")                                                          \
  front *f = front_of(env, argv[0]);                                                               \
  if (!f) return NULL;                                                                             \
  uint32_t slot;                                                                                   \
  fconn *c = conn_of(env, f, argv[1], &slot);                                                      \
  if (!c) return NULL;

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

/* frontOpen(onEvents(records, data), maxConnections) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  HALO_ARGS(2, "front: wrong arguments")
  uint32_t max = 0;
  napi_get_value_uint32(env, argv[1], &max);
  if (max == 0 || max > MAX_SLOTS_LIMIT) max = MAX_SLOTS_LIMIT;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  front *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->env = env;
  f->max_slots = max;
  f->free_head = UINT32_MAX;
  f->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (f->epfd < 0) {
    int e = errno;
    free(f);
    napi_throw_error(env, "EMFILE", strerror(e));
    return NULL;
  }
  napi_value self, name;
  napi_create_object(env, &self);
  napi_create_reference(env, argv[0], 1, &f->callback);
  napi_create_string_utf8(env, "halo.front", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &f->async_ctx);
  uv_poll_init(loop, &f->poll, f->epfd);
  f->poll.data = f;
  uv_poll_start(&f->poll, UV_READABLE, on_poll);
  /* Node's listening servers keep the process alive, not the front. */
  uv_unref((uv_handle_t *)&f->poll);
  napi_wrap(env, self, f, finalize_front, NULL, NULL);
  return self;
}

/*
 * frontListen(handle, fd) -> 0 or -errno. Takes a listening fd over from libuv: out of libuv's
 * epoll set, into the front's. -ENOENT means libuv has not registered it yet (it does so on its
 * next poll): call again on a later turn.
 */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  HALO_ARGS(2, "front: wrong arguments")
  front *f = front_of(env, argv[0]);
  if (!f) return NULL;
  int32_t fd = -1;
  napi_get_value_int32(env, argv[1], &fd);
  if (fd < 0) return num(env, -EBADF);
  if (f->nlisteners >= MAX_LISTENERS) return num(env, -ENOSPC);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (epoll_ctl(uv_backend_fd(loop), EPOLL_CTL_DEL, fd, NULL) != 0) return num(env, -errno);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = ((uint64_t)LISTENER_TAG << 32) | (uint32_t)fd};
  if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    /* give it back to libuv so that Node keeps accepting */
    struct epoll_event back = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(uv_backend_fd(loop), EPOLL_CTL_ADD, fd, &back);
    return num(env, -e);
  }
  f->listeners[f->nlisteners++] = fd;
  return num(env, 0);
}

/* frontUnlisten(handle, fd): stop accepting on fd (before Node closes it). */
static napi_value js_unlisten(napi_env env, napi_callback_info info) {
  HALO_ARGS(2, "front: wrong arguments")
  front *f = front_of(env, argv[0]);
  if (!f) return NULL;
  int32_t fd = -1;
  napi_get_value_int32(env, argv[1], &fd);
  for (int i = 0; i < f->nlisteners; i++) {
    if (f->listeners[i] != fd) continue;
    epoll_ctl(f->epfd, EPOLL_CTL_DEL, fd, NULL);
    f->listeners[i] = f->listeners[--f->nlisteners];
    return num(env, 0);
  }
  return num(env, -ENOENT);
}

/*
 * frontWrite(handle, slot, buffer) -> bytes still queued (0: all in the kernel) or -errno.
 * A string is not accepted: the TypeScript side encodes.
 */
static napi_value js_write(napi_env env, napi_callback_info info) {
  CONN_ARGS(3)
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "frontWrite: a Buffer is needed");
    return NULL;
  }
  if (c->flags & (F_DEAD | F_SHUT | F_END_PENDING | F_CLOSE_PENDING)) return num(env, -EPIPE);
  size_t off = 0;
  if (c->qlen == c->qoff && !(c->flags & F_CONNECTING)) {
    while (off < len) {
      ssize_t n = send(c->fd, (char *)data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        int e = errno;
        fail(f, slot, e, 0);
        return num(env, -e);
      }
      off += (size_t)n;
    }
  }
  if (off < len) {
    size_t rest = len - off;
    if (c->qoff > 0 && c->qoff == c->qlen) c->qoff = c->qlen = 0;
    if (batch_grow((unsigned char **)&c->q, &c->qcap, c->qlen + rest) != 0) {
      fail(f, slot, ENOMEM, 0);
      return num(env, -ENOMEM);
    }
    memcpy(c->q + c->qlen, (char *)data + off, rest);
    c->qlen += rest;
    f->queued_bytes += rest;
    if (set_events(f, slot, wanted(c)) != 0) {
      int e = errno;
      fail(f, slot, e, 0);
      return num(env, -e);
    }
  }
  return num(env, (double)(c->qlen - c->qoff));
}

/*
 * frontEnd(handle, slot) -> 0 FIN sent, 1 FIN after the queued bytes, 2 FIN sent and the peer's
 * was already in: the connection is closed and its slot free (no CLOSED event follows).
 */
static napi_value js_end(napi_env env, napi_callback_info info) {
  CONN_ARGS(2)
  if (c->flags & (F_SHUT | F_DEAD)) return num(env, 0);
  if (c->qlen > c->qoff) {
    c->flags |= F_END_PENDING;
    return num(env, 1);
  }
  shutdown(c->fd, SHUT_WR);
  c->flags |= F_SHUT;
  if (finished(c)) {
    release(f, slot);
    return num(env, 2);
  }
  return num(env, 0);
}

/*
 * frontClose(handle, slot, afterFlush): close now (queued bytes dropped), or once the queue is
 * written (a CLOSED event follows then). Returns 1 when closed now.
 */
static napi_value js_close(napi_env env, napi_callback_info info) {
  CONN_ARGS(3)
  bool after = false;
  napi_get_value_bool(env, argv[2], &after);
  if (after && c->qlen > c->qoff && !(c->flags & F_DEAD)) {
    c->flags |= F_CLOSE_PENDING;
    c->flags &= ~F_READING;
    if (set_events(f, slot, wanted(c)) == 0) return num(env, 0);
  }
  release(f, slot);
  return num(env, 1);
}

/* frontRead(handle, slot, on) -> 0 or -errno: pause or resume reading. */
static napi_value js_read(napi_env env, napi_callback_info info) {
  CONN_ARGS(3)
  bool on = false;
  napi_get_value_bool(env, argv[2], &on);
  if (on) c->flags |= F_READING;
  else c->flags &= ~F_READING;
  if (!(c->flags & F_DEAD) && set_events(f, slot, wanted(c)) != 0) {
    int e = errno;
    fail(f, slot, e, 0);
    return num(env, -e);
  }
  return num(env, 0);
}

/* frontNoDelay(handle, slot): TCP_NODELAY on. */
static napi_value js_nodelay(napi_env env, napi_callback_info info) {
  CONN_ARGS(2)
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return NULL;
}

/* frontPeer(handle, slot) -> [address, port] or null. */
static napi_value js_peer(napi_env env, napi_callback_info info) {
  CONN_ARGS(2)
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  napi_value out, v;
  if (getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0) {
    napi_get_null(env, &out);
    return out;
  }
  char text[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  napi_create_array_with_length(env, 2, &out);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, out, 0, v);
  napi_set_element(env, out, 1, num(env, port));
  return out;
}

/*
 * frontConnect(handle, ip, port) -> slot, or -errno: a non-blocking TCP connection to a backend
 * (TCP_NODELAY, as nginx's upstream connections). A CONNECT event says when it is up; a failed
 * connect is an ERROR event with the errno (ECONNREFUSED, ETIMEDOUT, ...). Bytes written before
 * the CONNECT event wait in the queue.
 */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  HALO_ARGS(3, "frontConnect(handle, ip, port)")
  front *f = front_of(env, argv[0]);
  if (!f) return NULL;
  char ip[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  uint32_t port = 0;
  if (napi_get_value_string_utf8(env, argv[1], ip, sizeof ip, &n) != napi_ok || n >= sizeof ip - 1 || napi_get_value_uint32(env, argv[2], &port) != napi_ok ||
      port == 0 || port > 65535)
    return num(env, -EINVAL);
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    sslen = sizeof *a4;
  } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    sslen = sizeof *a6;
  } else {
    return num(env, -EINVAL);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&ss, sslen) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  int s = take_slot(f);
  if (s < 0) {
    close(fd);
    return num(env, -ENOSPC);
  }
  fconn *c = &f->c[s];
  c->fd = fd;
  c->flags = F_USED | F_CONNECTING;
  c->events = EPOLLOUT;
  struct epoll_event ev = {.events = c->events, .data.u64 = (uint64_t)s};
  f->open++;
  if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    release(f, (uint32_t)s);
    return num(env, -e);
  }
  f->connects++;
  return num(env, s);
}

/* frontStats(handle) -> { open, accepted, connects, queuedBytes, listeners } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  HALO_ARGS(1, "front: wrong arguments")
  front *f = front_of(env, argv[0]);
  if (!f) return NULL;
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "open", num(env, f->open));
  napi_set_named_property(env, o, "accepted", num(env, (double)f->accepted));
  napi_set_named_property(env, o, "connects", num(env, (double)f->connects));
  napi_set_named_property(env, o, "queuedBytes", num(env, (double)f->queued_bytes));
  napi_set_named_property(env, o, "listeners", num(env, f->nlisteners));
  return o;
}

static void on_front_closed(uv_handle_t *h) {
  front *f = h->data;
  batch_free(&f->out);
  free(f);
}

static void shut_front(front *f) {
  if (f->closing) return;
  f->closing = 1;
  for (uint32_t i = 0; i < f->nslots; i++)
    if (f->c[i].flags & F_USED) release(f, i);
  free(f->c);
  f->c = NULL;
  f->nslots = 0;
  close(f->epfd);
  napi_delete_reference(f->env, f->callback);
  napi_async_destroy(f->env, f->async_ctx);
  uv_close((uv_handle_t *)&f->poll, on_front_closed);
}

/* frontClose(handle): every connection closed, listeners left alone (Node owns them). */
static napi_value js_destroy(napi_env env, napi_callback_info info) {
  HALO_ARGS(1, "front: wrong arguments")
  front *f = NULL;
  if (napi_remove_wrap(env, argv[0], (void **)&f) != napi_ok || f == NULL) return NULL;
  shut_front(f);
  return NULL;
}

static void finalize_front(napi_env env, void *data, void *hint) { shut_front(data); }

void halo_front_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"frontOpen", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontListen", NULL, js_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontUnlisten", NULL, js_unlisten, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontWrite", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontEnd", NULL, js_end, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontCloseConn", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontRead", NULL, js_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontNoDelay", NULL, js_nodelay, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontPeer", NULL, js_peer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontConnect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"frontDestroy", NULL, js_destroy, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
