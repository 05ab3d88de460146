/*
 * halo_relay: the L4 splice relay. Once an L4 pair (client socket, backend socket) is connected,
 * src/proxy/native-relay.ts hands both fds to this relay and the bytes never enter JavaScript:
 * one thread per process, its own epoll, and splice(2) socket -> pipe -> socket for each
 * direction (one pipe per direction), so a 64 MiB transfer costs a few syscalls per pipe-full
 * instead of a Buffer, a stream write and a GC share per 64 KiB.
 *
 * Ownership: Node owns the two sockets and closes them. The relay never closes a socket fd: when
 * a pair ends it removes both fds from its epoll, closes its own pipes, and only then reports
 * (id, bytes in, bytes out, reason, errno) to JavaScript through a thread-safe function; the JS
 * side then destroys the two Node sockets. To end a pair early JS calls relayStop(id) and waits
 * for the report as usual.
 *
 * Per direction (src -> dst): splice src -> pipe while the pipe has room, pipe -> dst while the
 * pipe holds bytes. A full pipe stops reading that side (backpressure reaches the sender through
 * TCP's window). EOF on src: once the pipe is drained, shutdown(dst, SHUT_WR) passes the FIN on
 * (half-close, as nginx stream does) while the other direction keeps flowing. The pair ends when
 * both directions have passed their FIN, on an error or reset, on the idle timeout
 * (proxy_timeout: no byte moved in either direction for idle_ms), or when JS asks.
 *
 * epoll is edge-triggered; readiness is remembered per fd and cleared only on EAGAIN, so no edge
 * is lost. One pump moves at most PUMP_MAX_BYTES per direction before other pairs get a turn; a
 * pair cut short goes on a ready list that is served before the thread sleeps again.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_args.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS_LIMIT 65536
#define EPOLL_BATCH 128
/* Bytes one direction moves per turn before other pairs are served (fairness). */
#define PUMP_MAX_BYTES (4u * 1024 * 1024)
/* How often idle timeouts and stop requests are looked at while pairs exist. */
#define SWEEP_MS 50

/* Why a pair ended; mirrored in src/proxy/native-relay.ts. */
enum { R_DONE = 0, R_IDLE = 1, R_ERROR = 2, R_STOPPED = 3, R_CLOSED = 4 };
enum { S_FREE = 0, S_LIVE = 1 };

typedef struct dir {
  int src, dst;
  int pipe_r, pipe_w;
  uint32_t in_pipe; /* bytes spliced into the pipe and not yet out of it */
  uint32_t pipe_cap;
  int eof;      /* src gave EOF */
  int shut;     /* FIN passed on to dst */
  uint64_t bytes; /* bytes written to dst */
} dir;

typedef struct report {
  uint32_t id;
  int reason;
  int err;
  double bytes_in, bytes_out;
} report;

typedef struct pair {
  int state;
  uint32_t gen;
  uint32_t id;
  dir d[2]; /* 0: client -> backend (bytes in), 1: backend -> client (bytes out) */
  int rd[2], wr[2]; /* readiness of fd side 0 (client) and 1 (backend) */
  uint64_t idle_ns;
  uint64_t last_ns;
  int stop;
  int ready; /* on the ready list */
  int32_t next_ready;
  report *rep; /* allocated when the pair is added, so finishing never needs memory */
} pair;

typedef struct relay {
  pthread_mutex_t mu;
  pthread_t thread;
  int thread_started;
  int epfd, evfd;
  pair *pairs;
  uint32_t max_pairs, live, high;
  int32_t ready_head, ready_tail;
  uint32_t pipe_bytes;
  int closing;
  napi_threadsafe_function tsfn;
  /* main thread only */
  uint32_t js_live; /* added and not yet reported */
  int tsfn_refd;
  int closed;
  int owners; /* the JS external and the thread-safe function; freed when both let go */
  napi_env env;
  /* stats */
  uint64_t added, finished, bytes_in, bytes_out, pipes_resized;
} relay;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ev_data(uint32_t index, int side, uint32_t gen) {
  return (uint64_t)index | ((uint64_t)(side & 1) << 32) | ((uint64_t)(gen & 0x7fffffffu) << 33);
}

static void wake(relay *r) {
  uint64_t one = 1;
  ssize_t n = write(r->evfd, &one, sizeof one);
  (void)n;
}

/* ---------- finishing a pair (relay thread, mutex held) ---------- */

static void close_pipes(dir *d) {
  if (d->pipe_r >= 0) close(d->pipe_r);
  if (d->pipe_w >= 0) close(d->pipe_w);
  d->pipe_r = d->pipe_w = -1;
}

static void finish(relay *r, uint32_t index, int reason, int err) {
  pair *p = &r->pairs[index];
  if (p->state != S_LIVE) return;
  /* Out of our epoll first: after the report Node closes the fds and may reuse the numbers. */
  epoll_ctl(r->epfd, EPOLL_CTL_DEL, p->d[0].src, NULL);
  epoll_ctl(r->epfd, EPOLL_CTL_DEL, p->d[1].src, NULL);
  close_pipes(&p->d[0]);
  close_pipes(&p->d[1]);
  report *rep = p->rep;
  p->rep = NULL;
  rep->id = p->id;
  rep->reason = reason;
  rep->err = err;
  rep->bytes_in = (double)p->d[0].bytes;
  rep->bytes_out = (double)p->d[1].bytes;
  r->bytes_in += p->d[0].bytes;
  r->bytes_out += p->d[1].bytes;
  p->state = S_FREE;
  p->gen++;
  r->live--;
  r->finished++;
  /* The queue is unbounded (size 0), so a non-blocking call fails only when the environment is
   * going away (and nothing is left to report to). */
  if (napi_call_threadsafe_function(r->tsfn, rep, napi_tsfn_nonblocking) != napi_ok) free(rep);
}

/* ---------- moving bytes ---------- */

/* Moves what it can in one direction. Returns 0, 1 when it stopped at the byte bound with work
 * left, or -errno. `s`/`t` are the fd sides of src/dst (0 client, 1 backend). */
static int pump(pair *p, int di) {
  dir *d = &p->d[di];
  int s = di, t = 1 - di;
  uint32_t moved = 0;
  for (;;) {
    int progress = 0;
    if (d->in_pipe > 0 && p->wr[t]) {
      ssize_t n = splice(d->pipe_r, NULL, d->dst, NULL, d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->in_pipe -= (uint32_t)n;
        d->bytes += (uint64_t)n;
        moved += (uint32_t)n;
        progress = 1;
        /* room again: a read that failed for a full pipe is worth another try */
        if (!d->eof) p->rd[s] = 1;
      } else if (n < 0 && errno == EAGAIN) {
        p->wr[t] = 0;
      } else if (n < 0 && errno != EINTR) {
        return -errno;
      }
    }
    if (!d->eof && p->rd[s] && d->in_pipe < d->pipe_cap) {
      ssize_t n = splice(d->src, NULL, d->pipe_w, NULL, d->pipe_cap - d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->in_pipe += (uint32_t)n;
        progress = 1;
      } else if (n == 0) {
        d->eof = 1;
        progress = 1;
      } else if (errno == EAGAIN) {
        /* Either the socket is empty or the pipe has no free slot (partial pages); in the second
         * case the next drain sets rd again, so this never waits for an edge that cannot come. */
        p->rd[s] = 0;
      } else if (errno != EINTR) {
        return -errno;
      }
    }
    if (d->eof && d->in_pipe == 0 && !d->shut) {
      /* half-close: the FIN goes on only after every byte before it */
      if (shutdown(d->dst, SHUT_WR) < 0 && errno != ENOTCONN) return -errno;
      d->shut = 1;
    }
    if (!progress) return 0;
    if (moved >= PUMP_MAX_BYTES) return 1;
  }
}

static void push_ready(relay *r, uint32_t index) {
  pair *p = &r->pairs[index];
  if (p->ready) return;
  p->ready = 1;
  p->next_ready = -1;
  if (r->ready_tail >= 0) r->pairs[r->ready_tail].next_ready = (int32_t)index;
  else r->ready_head = (int32_t)index;
  r->ready_tail = (int32_t)index;
}

static void service(relay *r, uint32_t index, uint64_t now) {
  pair *p = &r->pairs[index];
  if (p->state != S_LIVE) return;
  uint64_t b0 = p->d[0].bytes, b1 = p->d[1].bytes;
  int e0 = p->d[0].eof, e1 = p->d[1].eof;
  int again = 0;
  for (int di = 0; di < 2; di++) {
    int rc = pump(p, di);
    if (rc < 0) {
      int e = -rc;
      finish(r, index, R_ERROR, e);
      return;
    }
    if (rc == 1) again = 1;
  }
  if (p->d[0].bytes != b0 || p->d[1].bytes != b1 || p->d[0].eof != e0 || p->d[1].eof != e1) p->last_ns = now;
  if (p->d[0].shut && p->d[1].shut) {
    finish(r, index, R_DONE, 0);
    return;
  }
  if (again) push_ready(r, index);
}

static void sweep(relay *r, uint64_t now) {
  for (uint32_t i = 0; i < r->high; i++) {
    pair *p = &r->pairs[i];
    if (p->state != S_LIVE) continue;
    if (r->closing) finish(r, i, R_CLOSED, 0);
    else if (p->stop) finish(r, i, R_STOPPED, 0);
    else if (p->idle_ns > 0 && now - p->last_ns > p->idle_ns) finish(r, i, R_IDLE, 0);
  }
}

static void *relay_main(void *arg) {
  relay *r = arg;
  struct epoll_event evs[EPOLL_BATCH];
  uint64_t last_sweep = now_ns();
  for (;;) {
    pthread_mutex_lock(&r->mu);
    int timeout = r->ready_head >= 0 ? 0 : (r->live > 0 ? SWEEP_MS : -1);
    int closing = r->closing;
    pthread_mutex_unlock(&r->mu);
    if (closing) break;
    int n = epoll_wait(r->epfd, evs, EPOLL_BATCH, timeout);
    if (n < 0 && errno != EINTR) break;
    uint64_t now = now_ns();
    int woken = 0; /* JS asked for something (a stop): sweep now, not at the next tick */
    /* The lock is taken per pair, not per batch, so relayAdd/relayStop/relayPoll on the Node
     * thread wait for one pair's turn (at most PUMP_MAX_BYTES per direction), never a batch. Only
     * this thread touches the ready list and finishes pairs. */
    pthread_mutex_lock(&r->mu);
    int32_t head = r->ready_head; /* pairs cut short at the byte bound last turn */
    r->ready_head = r->ready_tail = -1;
    pthread_mutex_unlock(&r->mu);
    while (head >= 0) {
      pthread_mutex_lock(&r->mu);
      pair *p = &r->pairs[head];
      int32_t next = p->next_ready;
      p->ready = 0;
      service(r, (uint32_t)head, now);
      pthread_mutex_unlock(&r->mu);
      head = next;
    }
    for (int i = 0; i < n; i++) {
      uint64_t data = evs[i].data.u64;
      if (data == UINT64_MAX) {
        uint64_t v;
        ssize_t k = read(r->evfd, &v, sizeof v);
        (void)k;
        woken = 1;
        continue;
      }
      uint32_t index = (uint32_t)(data & 0xffffffffu);
      int side = (int)((data >> 32) & 1);
      uint32_t gen = (uint32_t)(data >> 33);
      if (index >= r->max_pairs) continue;
      pthread_mutex_lock(&r->mu);
      pair *p = &r->pairs[index];
      if (p->state == S_LIVE && (p->gen & 0x7fffffffu) == gen) {
        uint32_t e = evs[i].events;
        /* errors and hangups surface through the next splice */
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) p->rd[side] = 1;
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) p->wr[side] = 1;
        service(r, index, now);
      }
      pthread_mutex_unlock(&r->mu);
    }
    if (now - last_sweep >= (uint64_t)SWEEP_MS * 1000000u || n == 0 || woken) {
      pthread_mutex_lock(&r->mu);
      sweep(r, now);
      pthread_mutex_unlock(&r->mu);
      last_sweep = now;
    }
  }
  pthread_mutex_lock(&r->mu);
  sweep(r, now_ns()); /* closing: every pair ends with R_CLOSED */
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

/* ---------- JavaScript side (main thread) ---------- */

static void set_ref(relay *r, napi_env env) {
  int want = r->js_live > 0;
  if (want == r->tsfn_refd || r->closed) return;
  if (want) napi_ref_threadsafe_function(env, r->tsfn);
  else napi_unref_threadsafe_function(env, r->tsfn);
  r->tsfn_refd = want;
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  relay *r = context;
  report *rep = data;
  if (env == NULL || rep == NULL) {
    free(rep);
    return;
  }
  if (r->js_live > 0) r->js_live--;
  set_ref(r, env);
  napi_value argv[5], undef;
  napi_create_uint32(env, rep->id, &argv[0]);
  napi_create_double(env, rep->bytes_in, &argv[1]);
  napi_create_double(env, rep->bytes_out, &argv[2]);
  napi_create_int32(env, rep->reason, &argv[3]);
  napi_create_int32(env, rep->err, &argv[4]);
  free(rep);
  napi_get_undefined(env, &undef);
  napi_call_function(env, undef, cb, 5, argv, NULL);
}

static void stop_thread(relay *r) {
  if (!r->thread_started) return;
  pthread_mutex_lock(&r->mu);
  r->closing = 1;
  pthread_mutex_unlock(&r->mu);
  wake(r);
  pthread_join(r->thread, NULL);
  r->thread_started = 0;
}

static void close_relay(relay *r) {
  if (r->closed) return;
  stop_thread(r);
  r->closed = 1;
  napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
}

static void env_cleanup_fwd(void *arg) { close_relay(arg); }

static void release_owner(relay *r) {
  if (--r->owners > 0) return;
  pthread_mutex_destroy(&r->mu);
  free(r->pairs);
  free(r);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  relay *r = data;
  close(r->epfd);
  close(r->evfd);
  r->epfd = r->evfd = -1;
  release_owner(r);
}

static void external_finalize(napi_env env, void *data, void *hint) {
  relay *r = data;
  /* garbage-collected without relayClose: stop the thread first */
  if (!r->closed) {
    napi_remove_env_cleanup_hook(env, env_cleanup_fwd, r);
    close_relay(r);
  }
  release_owner(r);
}



static napi_value throw_errno(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "Cannot start the L4 relay: %s failed: %s", what, strerror(e));
  napi_throw_error(env, "HALO_RELAY_START", msg);
  return NULL;
}

static relay *get_relay(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  relay *r = p;
  return r && !r->closed ? r : NULL;
}

/* The arguments (handle, ...) of a call on a relay: defines argv and r, or throws naming `usage`. */
#define RELAY_ARGS(n, usage)                                                                       \
  HALO_ARGS(n, usage)                                                                              \
  relay *r = get_relay(env, argv[0]);                                                              \
  if (!r) {                                                                                        \
    napi_throw_type_error(env, NULL, usage);                                                       \
    return NULL;                                                                                   \
  }

/* relayCreate(onReport, maxPairs, pipeBytes) */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t max_pairs = 0, pipe_bytes = 0;
  napi_valuetype t;
  if (argc < 3 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function ||
      napi_get_value_uint32(env, argv[1], &max_pairs) != napi_ok || napi_get_value_uint32(env, argv[2], &pipe_bytes) != napi_ok ||
      max_pairs == 0 || max_pairs > MAX_PAIRS_LIMIT) {
    napi_throw_type_error(env, NULL, "relayCreate(onReport, maxPairs 1..65536, pipeBytes)");
    return NULL;
  }
  relay *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "calloc");
  r->pairs = calloc(max_pairs, sizeof *r->pairs);
  if (!r->pairs) {
    free(r);
    return throw_errno(env, ENOMEM, "calloc");
  }
  r->max_pairs = max_pairs;
  r->pipe_bytes = pipe_bytes;
  r->ready_head = r->ready_tail = -1;
  r->env = env;
  pthread_mutex_init(&r->mu, NULL);
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->epfd < 0 || r->evfd < 0) {
    int e = errno;
    if (r->epfd >= 0) close(r->epfd);
    if (r->evfd >= 0) close(r->evfd);
    free(r->pairs);
    free(r);
    return throw_errno(env, e, "epoll_create1/eventfd");
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
  epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ev);
  napi_value name;
  napi_create_string_utf8(env, "halo.relay", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, r, tsfn_finalize, r, call_js, &r->tsfn) != napi_ok) {
    close(r->epfd);
    close(r->evfd);
    free(r->pairs);
    free(r);
    return throw_errno(env, EINVAL, "napi_create_threadsafe_function");
  }
  r->owners = 1;
  /* Only live pairs keep the process alive. */
  napi_unref_threadsafe_function(env, r->tsfn);
  if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
    int e = errno;
    r->closed = 1;
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    return throw_errno(env, e, "pthread_create");
  }
  r->thread_started = 1;
  napi_add_env_cleanup_hook(env, env_cleanup_fwd, r);
  r->owners = 2;
  napi_value out;
  napi_create_external(env, r, external_finalize, NULL, &out);
  return out;
}

static int make_pipe(relay *r, dir *d) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -errno;
  d->pipe_r = fds[0];
  d->pipe_w = fds[1];
  int cap = fcntl(fds[1], F_GETPIPE_SZ);
  if (r->pipe_bytes > 0) {
    /* a larger pipe means fewer splices per transfer; refused past the user's pipe budget,
     * then the default pipe still works */
    int got = fcntl(fds[1], F_SETPIPE_SZ, (int)r->pipe_bytes);
    if (got > 0) {
      cap = got;
      r->pipes_resized++;
    }
  }
  d->pipe_cap = cap > 0 ? (uint32_t)cap : 65536u;
  return 0;
}

/* relayAdd(handle, id, clientFd, backendFd, idleMs) -> 0 or -errno (ENOSPC: table full) */
static napi_value js_add(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay *r = argc >= 5 ? get_relay(env, argv[0]) : NULL;
  uint32_t id = 0, idle_ms = 0;
  int32_t cfd = -1, bfd = -1;
  if (!r || napi_get_value_uint32(env, argv[1], &id) != napi_ok || napi_get_value_int32(env, argv[2], &cfd) != napi_ok ||
      napi_get_value_int32(env, argv[3], &bfd) != napi_ok || napi_get_value_uint32(env, argv[4], &idle_ms) != napi_ok || cfd < 0 || bfd < 0 ||
      cfd == bfd) {
    napi_throw_type_error(env, NULL, "relayAdd(handle, id, clientFd, backendFd, idleMs)");
    return NULL;
  }
  report *rep = malloc(sizeof *rep);
  int rc = rep ? 0 : -ENOMEM;
  pthread_mutex_lock(&r->mu);
  uint32_t index = r->max_pairs;
  if (r->live < r->max_pairs) {
    for (uint32_t i = 0; i < r->max_pairs; i++)
      if (r->pairs[i].state == S_FREE) {
        index = i;
        break;
      }
  }
  if (index == r->max_pairs && rc == 0) rc = -ENOSPC;
  pair *p = index < r->max_pairs && rc == 0 ? &r->pairs[index] : NULL;
  if (p) {
    /* A finished pair may still sit on the relay thread's ready list: keep its links. */
    uint32_t gen = p->gen;
    int ready = p->ready;
    int32_t next_ready = p->next_ready;
    memset(p, 0, sizeof *p);
    p->gen = gen;
    p->ready = ready;
    p->next_ready = next_ready;
    p->id = id;
    p->d[0] = (dir){.src = cfd, .dst = bfd, .pipe_r = -1, .pipe_w = -1};
    p->d[1] = (dir){.src = bfd, .dst = cfd, .pipe_r = -1, .pipe_w = -1};
    p->idle_ns = (uint64_t)idle_ms * 1000000u;
    p->last_ns = now_ns();
    if ((rc = make_pipe(r, &p->d[0])) == 0) rc = make_pipe(r, &p->d[1]);
    if (rc == 0) {
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
      ev.data.u64 = ev_data(index, 0, p->gen);
      if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, cfd, &ev) < 0) rc = -errno;
      else {
        ev.data.u64 = ev_data(index, 1, p->gen);
        if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, bfd, &ev) < 0) {
          rc = -errno;
          epoll_ctl(r->epfd, EPOLL_CTL_DEL, cfd, NULL);
        }
      }
    }
    if (rc != 0) {
      close_pipes(&p->d[0]);
      close_pipes(&p->d[1]);
    } else {
      p->rep = rep;
      rep = NULL;
      /* both sides may already be readable/writable: the first edge arrives at once anyway */
      p->state = S_LIVE;
      r->live++;
      r->added++;
      if (index >= r->high) r->high = index + 1;
    }
  }
  pthread_mutex_unlock(&r->mu);
  free(rep); /* not taken by a pair */
  if (rc == 0) {
    r->js_live++;
    set_ref(r, env);
  }
  napi_value out;
  napi_create_int32(env, rc, &out);
  return out;
}

/* relayStop(handle, id) -> true when the pair was live (its report follows) */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  RELAY_ARGS(2, "relayStop(handle, id)")
  uint32_t id = 0;
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "relayStop(handle, id)");
    return NULL;
  }
  int found = 0;
  pthread_mutex_lock(&r->mu);
  for (uint32_t i = 0; i < r->high; i++)
    if (r->pairs[i].state == S_LIVE && r->pairs[i].id == id) {
      r->pairs[i].stop = 1;
      found = 1;
      break;
    }
  pthread_mutex_unlock(&r->mu);
  if (found) wake(r);
  napi_value out;
  napi_get_boolean(env, found, &out);
  return out;
}

static void set_num(napi_env env, napi_value obj, const char *k, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, k, n);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  RELAY_ARGS(1, "relayStats(handle)")
  napi_value o;
  napi_create_object(env, &o);
  pthread_mutex_lock(&r->mu);
  set_num(env, o, "live", r->live);
  set_num(env, o, "maxPairs", r->max_pairs);
  set_num(env, o, "added", (double)r->added);
  set_num(env, o, "finished", (double)r->finished);
  set_num(env, o, "bytesIn", (double)r->bytes_in);
  set_num(env, o, "bytesOut", (double)r->bytes_out);
  set_num(env, o, "pipesResized", (double)r->pipes_resized);
  pthread_mutex_unlock(&r->mu);
  return o;
}

/* relayPoll(handle) -> Buffer of 24-byte records (id u32, -, bytes in f64, bytes out f64), one
 * per live pair: the byte counters so far, for counters that move while a long pair lives. */
static napi_value js_poll(napi_env env, napi_callback_info info) {
  RELAY_ARGS(1, "relayPoll(handle)")
  pthread_mutex_lock(&r->mu);
  size_t n = r->live;
  void *data = NULL;
  napi_value buf;
  if (napi_create_buffer(env, n * 24, &data, &buf) != napi_ok) {
    pthread_mutex_unlock(&r->mu);
    return NULL;
  }
  unsigned char *b = data;
  size_t k = 0;
  for (uint32_t i = 0; i < r->high && k < n; i++) {
    pair *p = &r->pairs[i];
    if (p->state != S_LIVE) continue;
    double in = (double)p->d[0].bytes, out = (double)p->d[1].bytes;
    uint32_t zero = 0;
    memcpy(b + k * 24, &p->id, 4);
    memcpy(b + k * 24 + 4, &zero, 4);
    memcpy(b + k * 24 + 8, &in, 8);
    memcpy(b + k * 24 + 16, &out, 8);
    k++;
  }
  pthread_mutex_unlock(&r->mu);
  return buf;
}

/* relayClose(handle): ends every live pair (each still reports, reason closed), joins the thread. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay *r = argc >= 1 ? get_relay(env, argv[0]) : NULL;
  if (r) {
    napi_remove_env_cleanup_hook(env, env_cleanup_fwd, r);
    stop_thread(r);
    r->closed = 1;
    /* release (not abort): reports already queued still reach JavaScript */
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_release);
  }
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"relayCreate", NULL, js_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayAdd", NULL, js_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayStop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayPoll", NULL, js_poll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayClose", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
