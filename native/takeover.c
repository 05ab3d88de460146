/*
 * A backup's takeover carried out at its deadline by a thread of its own.
 *
 * When a backup's Master_Down timer expires it sends its advert, adds its VIPs and sends its first
 * gratuitous ARP / neighbour advertisement (RFC 5798 section 6.4.2). In the VRRP process that
 * happens on the JavaScript thread, which must first wake (a timer, a kernel sleep, a loop turn)
 * and then run the takeover through the event loop: measured in the failover lab, 0.5-3 ms from
 * the deadline to the gratuitous ARP, where keepalived's C loop takes 0.2-0.3 ms. The state
 * machine is pure, so the runtime (src/daemon/vrrp-runtime.ts) knows ahead of time exactly what the
 * timer's expiry would send and add; it hands that plan here with the deadline, and this thread
 * sleeps on an absolute CLOCK_MONOTONIC deadline (timer slack 1 ns) and carries the plan out.
 * JavaScript then claims the slot: a fired slot's report tells the runtime the wire part is done,
 * and the state machine takes its step as of the deadline without sending anything twice.
 *
 * Who acts is decided under one mutex: the thread fires an ARMED slot, JavaScript claims a slot
 * (ARMED -> IDLE, or FIRED -> IDLE with the report) before its instance handles any event, so an
 * advert heard before the deadline always wins. A packet the kernel received before the deadline
 * but that JavaScript has not handled yet holds the thread back: while a VRRP socket's readiness
 * callback runs (halo_net.c brackets it) or the plan's socket has unread input, the thread waits,
 * up to TK_INPUT_WAIT_MAX_NS, for JavaScript to take it (and claim or re-arm); past that bound it
 * leaves the takeover to JavaScript (SKIPPED).
 *
 * The thread owns its sockets (a NETLINK_ROUTE socket, a send-only AF_PACKET socket, a raw ICMPv6
 * socket), opened from JavaScript when a plan first needs them so that an error is reported there.
 * The adverts go out on the VRRP sockets themselves (halo_net.c forgets a descriptor it closes).
 *
 * Once a slot is carried out the thread tells JavaScript through a thread-safe function (the
 * callback of takeoverOnFired), so the state machine follows within a loop turn, while the new
 * master's clients are still on their way, rather than at the runtime's own fallback timer.
 *
 * JS API:
 *   takeoverArm(slot, inMs, plan?) -> 0 armed | 1 fired, not yet claimed (nothing changed) | -errno
 *     plan: { adverts: [[fd, family, ifindex, dst, src|null, ttl, payload]],
 *             addresses: [[ifname, family, addressBytes, prefixLen, options]],
 *             announces: [[ifname, family, address, router]] }
 *     without a plan, the slot's last plan is armed with the new deadline (-ENOENT if none)
 *   takeoverClaim(slot, forget?) -> null | { lateMs, advertMs, addressesMs, announceMs, errors }
 *     disarms the slot (forget: and drops its plan); errors: [[step 0 advert|1 address|2 announce,
 *     index, errno]]
 *   takeoverOnFired(callback) -> called (no arguments) on the JavaScript thread after a firing
 *   takeoverFired() -> the numbers of the slots carried out and not yet claimed
 *   takeoverStats() -> { slots, armed, fired, skipped, waited, realtime }
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "halo_shared.h"

#define TK_SLOTS_MAX 64
#define TK_ADVERTS_MAX 8
#define TK_ADDRS_MAX 16
#define TK_ANNOUNCES_MAX 4
#define TK_ERRORS_MAX 8
/* The thread's netlink acks: a takeover must not hang on the kernel. */
#define TK_NL_TIMEOUT_MS 100
/* How long past the deadline the thread waits for JavaScript to handle input that may reset the
 * timer, and how often it looks again meanwhile. */
#define TK_INPUT_WAIT_MAX_NS 5000000LL
#define TK_INPUT_RECHECK_NS 200000LL
/* SCHED_FIFO priority of the thread (the lowest real-time one; see tk_main). */
#define TK_RT_PRIORITY 1

enum { TK_EMPTY = 0, TK_IDLE, TK_ARMED, TK_FIRED, TK_SKIPPED };

typedef struct tk_announce {
  int family;
  unsigned ifindex;
  char ifname[IFNAMSIZ + 1];
  uint8_t addr[16];
  bool router;
} tk_announce;

typedef struct tk_slot {
  int state;
  /* A socket of the plan was closed after it fired: the report stands, the plan does not. */
  bool stale;
  int64_t deadline_ns;
  int n_adverts, n_addrs, n_announces;
  halo_advert_msg adverts[TK_ADVERTS_MAX];
  struct halo_nl_req addrs[TK_ADDRS_MAX];
  tk_announce announces[TK_ANNOUNCES_MAX];
  /* The last firing: ns from the deadline to the start, from the start to each step's end. */
  int64_t late_ns, advert_ns, addrs_ns, announce_ns;
  int n_errors;
  int errors[TK_ERRORS_MAX][3];
} tk_slot;

static tk_slot slots[TK_SLOTS_MAX];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static bool started;
static atomic_bool enabled;
static int input_active; /* readiness callbacks running (main thread) */
static int nl_fd = -1, arp_fd = -1, na_fd = -1;
static uint32_t nl_seq;
static int64_t n_fired, n_skipped, n_waited;
static bool realtime;
/* Tells JavaScript a slot was carried out; NULL until takeoverOnFired and after the environment's teardown. */
static napi_threadsafe_function on_fired;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec ts_of(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  return ts;
}

static void record_error(tk_slot *s, int step, int index, int err) {
  if (s->n_errors >= TK_ERRORS_MAX) return;
  s->errors[s->n_errors][0] = step;
  s->errors[s->n_errors][1] = index;
  s->errors[s->n_errors][2] = err;
  s->n_errors++;
}

/* Unread packets on any socket of the plan's adverts. */
static bool input_pending(const tk_slot *s) {
  struct pollfd pf[TK_ADVERTS_MAX];
  int n = 0;
  for (int i = 0; i < s->n_adverts; i++) {
    bool seen = false;
    for (int k = 0; k < n; k++) seen = seen || pf[k].fd == s->adverts[i].fd;
    if (seen) continue;
    pf[n].fd = s->adverts[i].fd;
    pf[n].events = POLLIN;
    pf[n].revents = 0;
    n++;
  }
  if (n == 0 || poll(pf, (nfds_t)n, 0) <= 0) return false;
  for (int k = 0; k < n; k++)
    if (pf[k].revents & POLLIN) return true;
  return false;
}

static int send_announce(const tk_announce *a) {
  unsigned char mac[6];
  int fd = a->family == 4 ? arp_fd : na_fd;
  if (fd < 0) return EBADF;
  /* Read at the takeover, as the JavaScript path does: the MAC can change while armed. */
  if (halo_interface_hwaddr(fd, a->ifname, mac) < 0) return errno;
  ssize_t n;
  if (a->family == 4) {
    unsigned char frame[60];
    struct sockaddr_ll to;
    struct in_addr ip;
    memcpy(&ip, a->addr, 4);
    halo_garp_frame(mac, &ip, a->ifindex, frame, &to);
    n = sendto(fd, frame, sizeof frame, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  } else {
    unsigned char pkt[32];
    struct in6_addr target;
    memcpy(&target, a->addr, 16);
    halo_na_packet(mac, &target, a->router, pkt);
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    to.sin6_scope_id = a->ifindex;
    n = sendto(fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  }
  return n < 0 ? errno : 0;
}

/* The takeover's wire part: addresses, adverts, announcements (the order: src/net/ports.ts, TakeoverPlan). */
static void fire(tk_slot *s, int64_t start) {
  s->n_errors = 0;
  s->late_ns = start - s->deadline_ns;
  for (int i = 0; i < s->n_addrs; i++) {
    int err = halo_nl_transact(nl_fd, &nl_seq, &s->addrs[i]);
    /* Already there is what the takeover wants (the JavaScript adapter says the same of EEXIST). */
    if (err && err != -EEXIST) record_error(s, 1, i, -err);
  }
  s->addrs_ns = now_ns() - start;
  for (int i = 0; i < s->n_adverts; i++) {
    int err = halo_advert_msg_send(&s->adverts[i]);
    if (err) record_error(s, 0, i, -err);
  }
  s->advert_ns = now_ns() - start;
  for (int i = 0; i < s->n_announces; i++) {
    int err = send_announce(&s->announces[i]);
    if (err) record_error(s, 2, i, err);
  }
  s->announce_ns = now_ns() - start;
  s->state = TK_FIRED;
  n_fired++;
  if (on_fired != NULL) napi_call_threadsafe_function(on_fired, NULL, napi_tsfn_nonblocking);
}

static void *tk_main(void *arg) {
  (void)arg;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  /* Real time for its few system calls at a deadline, so that no ordinary process the takeover
   * itself wakes (the old master hearing the advert, a packet capture) runs ahead of the rest of
   * it: measured in the failover lab as an ordinary thread, 0.5-1 ms went between its advert and
   * its gratuitous ARP in one takeover out of three. keepalived's vrrp_rt_priority does the same
   * for its whole VRRP process. The thread sleeps but for those calls; without CAP_SYS_NICE it
   * stays an ordinary thread. */
  struct sched_param sp = {.sched_priority = TK_RT_PRIORITY};
  bool rt = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
  pthread_mutex_lock(&mu);
  realtime = rt;
  for (;;) {
    tk_slot *next = NULL;
    for (int i = 0; i < TK_SLOTS_MAX; i++) {
      if (slots[i].state == TK_ARMED && (next == NULL || slots[i].deadline_ns < next->deadline_ns)) next = &slots[i];
    }
    if (next == NULL) {
      pthread_cond_wait(&cv, &mu);
      continue;
    }
    int64_t now = now_ns();
    if (now < next->deadline_ns) {
      struct timespec until = ts_of(next->deadline_ns);
      pthread_cond_timedwait(&cv, &mu, &until);
      continue;
    }
    if (input_active > 0 || input_pending(next)) {
      if (now - next->deadline_ns >= TK_INPUT_WAIT_MAX_NS) {
        next->state = TK_SKIPPED;
        n_skipped++;
        continue;
      }
      n_waited++;
      struct timespec until = ts_of(now + TK_INPUT_RECHECK_NS);
      pthread_cond_timedwait(&cv, &mu, &until);
      continue;
    }
    fire(next, now);
  }
  return NULL;
}

/* Starts the thread once, with every signal blocked (signals stay with the JavaScript thread). */
static int start_thread(void) {
  if (started) return 0;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  pthread_condattr_destroy(&ca);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  int err = pthread_create(&t, &attr, tk_main, NULL);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err) return -err;
  started = true;
  atomic_store(&enabled, true);
  return 0;
}

int halo_takeover_input_begin(void) {
  if (!atomic_load(&enabled)) return 0;
  pthread_mutex_lock(&mu);
  input_active++;
  pthread_mutex_unlock(&mu);
  return 1;
}

void halo_takeover_input_end(int began) {
  if (!began) return;
  pthread_mutex_lock(&mu);
  input_active--;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

void halo_takeover_forget_fd(int fd) {
  if (!atomic_load(&enabled)) return;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < TK_SLOTS_MAX; i++) {
    tk_slot *s = &slots[i];
    if (s->state == TK_EMPTY) continue;
    bool uses = false;
    for (int k = 0; k < s->n_adverts; k++) uses = uses || s->adverts[k].fd == fd;
    if (!uses) continue;
    if (s->state == TK_FIRED) s->stale = true;
    else s->state = TK_EMPTY;
  }
  pthread_mutex_unlock(&mu);
}

/* ---------- JavaScript ---------- */

static napi_value tk_double(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

/* The array property `name` of `obj` with at most `max` entries: its length, or -1 (not an
 * array), or -2 (too long). */
static int plan_list(napi_env env, napi_value obj, const char *name, int max, napi_value *out) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok || napi_is_array(env, *out, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, *out, &len) != napi_ok)
    return -1;
  return len > (uint32_t)max ? -2 : (int)len;
}

/* Entry `i` of `list`, itself an array of `n` values, into `vals`. */
static int plan_tuple(napi_env env, napi_value list, uint32_t i, size_t n, napi_value *vals) {
  napi_value t;
  bool is_array = false;
  uint32_t len = 0;
  if (napi_get_element(env, list, i, &t) != napi_ok || napi_is_array(env, t, &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, t, &len) != napi_ok || len < n)
    return -1;
  for (uint32_t k = 0; k < n; k++)
    if (napi_get_element(env, t, k, &vals[k]) != napi_ok) return -1;
  return 0;
}

/* Parses a plan into `p` (the sockets it needs are opened by the caller). 0, -errno, or -EINVAL
 * with *why for a TypeError. */
static int parse_plan(napi_env env, napi_value plan, tk_slot *p, const char **why) {
  napi_value adverts, addrs, announces, vals[7];
  int na = plan_list(env, plan, "adverts", TK_ADVERTS_MAX, &adverts);
  int nd = plan_list(env, plan, "addresses", TK_ADDRS_MAX, &addrs);
  int nn = plan_list(env, plan, "announces", TK_ANNOUNCES_MAX, &announces);
  *why = "plan: { adverts: [], addresses: [], announces: [] }";
  if (na == -1 || nd == -1 || nn == -1) return -EINVAL;
  if (na < 0 || nd < 0 || nn < 0) return -E2BIG;
  p->n_adverts = p->n_addrs = p->n_announces = 0;
  for (int i = 0; i < na; i++) {
    *why = "adverts: [fd, family, ifindex, dst, src, ttl, payload]";
    if (plan_tuple(env, adverts, (uint32_t)i, 7, vals)) return -EINVAL;
    int err = halo_advert_msg_from_js(env, vals, &p->adverts[i], why);
    if (err) return err;
    p->n_adverts++;
  }
  for (int i = 0; i < nd; i++) {
    *why = "addresses: [ifname, family, addressBytes, prefixLen, options]";
    if (plan_tuple(env, addrs, (uint32_t)i, 5, vals)) return -EINVAL;
    int err = halo_nl_request_from_js(env, vals, 5, 0, &p->addrs[i]);
    if (err) return err;
    p->n_addrs++;
  }
  for (int i = 0; i < nn; i++) {
    tk_announce *a = &p->announces[i];
    char addr[INET6_ADDRSTRLEN + 1];
    size_t len = 0;
    int32_t family = 0;
    *why = "announces: [ifname, family: 4|6, address, router: boolean]";
    if (plan_tuple(env, announces, (uint32_t)i, 4, vals) ||
        napi_get_value_string_utf8(env, vals[0], a->ifname, sizeof a->ifname, &len) != napi_ok || len == 0 || len >= IFNAMSIZ ||
        napi_get_value_int32(env, vals[1], &family) != napi_ok || (family != 4 && family != 6) ||
        napi_get_value_string_utf8(env, vals[2], addr, sizeof addr, &len) != napi_ok ||
        inet_pton(family == 4 ? AF_INET : AF_INET6, addr, a->addr) != 1 || napi_get_value_bool(env, vals[3], &a->router) != napi_ok)
      return -EINVAL;
    a->family = family;
    a->ifindex = if_nametoindex(a->ifname);
    if (a->ifindex == 0) return -ENODEV;
    p->n_announces++;
  }
  return 0;
}

/* Opens the thread's sockets a plan needs (main thread, mutex held). 0 or -errno. */
static int open_sockets(const tk_slot *p) {
  if (p->n_addrs > 0 && nl_fd < 0) {
    int fd = halo_nl_socket(TK_NL_TIMEOUT_MS);
    if (fd < 0) return fd;
    nl_fd = fd;
  }
  for (int i = 0; i < p->n_announces; i++) {
    if (p->announces[i].family == 4 && arp_fd < 0) {
      arp_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
      if (arp_fd < 0) return -errno;
    }
    if (p->announces[i].family == 6 && na_fd < 0) {
      int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
      if (fd < 0) return -errno;
      int hops = 255;
      struct icmp6_filter filt;
      ICMP6_FILTER_SETBLOCKALL(&filt);
      if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt) < 0 ||
          setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) < 0) {
        int e = errno;
        close(fd);
        return -e;
      }
      na_fd = fd;
    }
  }
  return 0;
}

static napi_value js_arm(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  double in_ms = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return halo_throw_type(env, "takeoverArm(slot, inMs, plan?)");
  int slot = halo_slot_arg(env, argv[0], TK_SLOTS_MAX);
  if (slot < 0 || napi_get_value_double(env, argv[1], &in_ms) != napi_ok || in_ms != in_ms) return halo_throw_type(env, "takeoverArm(slot: 0..63, inMs: number, plan?)");
  napi_valuetype pt = napi_undefined;
  if (argc >= 3 && napi_typeof(env, argv[2], &pt) != napi_ok) return halo_throw_type(env, "takeoverArm: bad plan");
  bool have_plan = pt != napi_undefined && pt != napi_null;
  static tk_slot parsed; /* main thread only; too big for the stack */
  const char *why = NULL;
  int result = have_plan ? parse_plan(env, argv[2], &parsed, &why) : 0;
  if (result == 0) why = NULL;
  if (result == 0) result = start_thread();
  int64_t deadline = now_ns() + (int64_t)(in_ms * 1e6);
  pthread_mutex_lock(&mu);
  tk_slot *s = &slots[slot];
  if (s->state == TK_FIRED) {
    result = 1;
  } else {
    if (result == 0 && have_plan && (result = open_sockets(&parsed)) == 0) {
      s->n_adverts = parsed.n_adverts;
      s->n_addrs = parsed.n_addrs;
      s->n_announces = parsed.n_announces;
      memcpy(s->adverts, parsed.adverts, sizeof s->adverts[0] * (size_t)parsed.n_adverts);
      memcpy(s->addrs, parsed.addrs, sizeof s->addrs[0] * (size_t)parsed.n_addrs);
      memcpy(s->announces, parsed.announces, sizeof s->announces[0] * (size_t)parsed.n_announces);
      s->stale = false;
    } else if (result == 0 && !have_plan && s->state == TK_EMPTY) {
      result = -ENOENT;
    }
    if (result == 0) {
      s->deadline_ns = deadline;
      s->state = TK_ARMED;
      pthread_cond_broadcast(&cv);
    } else if (s->state == TK_ARMED) {
      s->state = TK_IDLE; /* a refused arm leaves nothing armed */
    }
  }
  pthread_mutex_unlock(&mu);
  if (result == -EINVAL && why != NULL) return halo_throw_type(env, why);
  return halo_make_int(env, result);
}

static napi_value js_claim(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool forget = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return halo_throw_type(env, "takeoverClaim(slot, forget?)");
  int slot = halo_slot_arg(env, argv[0], TK_SLOTS_MAX);
  if (slot < 0) return halo_throw_type(env, "takeoverClaim(slot: 0..63, forget?)");
  if (argc >= 2) napi_get_value_bool(env, argv[1], &forget);
  int64_t late = 0, advert = 0, addrs = 0, announce = 0;
  int n_errors = 0, errors_copy[TK_ERRORS_MAX][3];
  pthread_mutex_lock(&mu);
  tk_slot *s = &slots[slot];
  int was = s->state;
  if (was == TK_FIRED) {
    late = s->late_ns, advert = s->advert_ns, addrs = s->addrs_ns, announce = s->announce_ns;
    n_errors = s->n_errors;
    memcpy(errors_copy, s->errors, sizeof errors_copy);
  }
  if (was != TK_EMPTY) s->state = forget || s->stale ? TK_EMPTY : TK_IDLE;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  napi_value out;
  if (was != TK_FIRED) {
    napi_get_null(env, &out);
    return out;
  }
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "lateMs", tk_double(env, (double)late / 1e6));
  napi_set_named_property(env, out, "advertMs", tk_double(env, (double)advert / 1e6));
  napi_set_named_property(env, out, "addressesMs", tk_double(env, (double)addrs / 1e6));
  napi_set_named_property(env, out, "announceMs", tk_double(env, (double)announce / 1e6));
  napi_value errors;
  napi_create_array_with_length(env, (size_t)n_errors, &errors);
  for (int i = 0; i < n_errors; i++) {
    napi_value e;
    napi_create_array_with_length(env, 3, &e);
    for (int k = 0; k < 3; k++) napi_set_element(env, e, (uint32_t)k, halo_make_int(env, errors_copy[i][k]));
    napi_set_element(env, errors, (uint32_t)i, e);
  }
  napi_set_named_property(env, out, "errors", errors);
  return out;
}

static void call_on_fired(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context, (void)data;
  if (env == NULL || js_cb == NULL) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, js_cb, 0, NULL, NULL);
}

static void forget_on_fired(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  on_fired = NULL; /* Node releases the function with the environment */
  pthread_mutex_unlock(&mu);
}

static napi_value js_on_fired(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return halo_throw_type(env, "takeoverOnFired(callback)");
  napi_value name;
  napi_create_string_utf8(env, "halo takeover fired", NAPI_AUTO_LENGTH, &name);
  napi_threadsafe_function fn;
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_on_fired, &fn) != napi_ok) return halo_throw_type(env, "takeoverOnFired: cannot create the thread-safe function");
  /* It must not keep the process alive. */
  napi_unref_threadsafe_function(env, fn);
  pthread_mutex_lock(&mu);
  napi_threadsafe_function old = on_fired;
  bool first = old == NULL;
  on_fired = fn;
  pthread_mutex_unlock(&mu);
  if (old != NULL) napi_release_threadsafe_function(old, napi_tsfn_release);
  if (first) napi_add_env_cleanup_hook(env, forget_on_fired, NULL);
  return NULL;
}

static napi_value js_fired(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_array(env, &out);
  uint32_t n = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < TK_SLOTS_MAX; i++)
    if (slots[i].state == TK_FIRED) napi_set_element(env, out, n++, halo_make_int(env, i));
  pthread_mutex_unlock(&mu);
  return out;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  (void)info;
  int64_t armed = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < TK_SLOTS_MAX; i++) armed += slots[i].state == TK_ARMED;
  int64_t fired = n_fired, skipped = n_skipped, waited = n_waited;
  bool rt = realtime;
  pthread_mutex_unlock(&mu);
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "slots", halo_make_int(env, TK_SLOTS_MAX));
  napi_set_named_property(env, out, "armed", halo_make_int(env, armed));
  napi_set_named_property(env, out, "fired", halo_make_int(env, fired));
  napi_set_named_property(env, out, "skipped", halo_make_int(env, skipped));
  napi_set_named_property(env, out, "waited", halo_make_int(env, waited));
  napi_value rtv;
  napi_get_boolean(env, rt, &rtv);
  napi_set_named_property(env, out, "realtime", rtv);
  return out;
}

void halo_takeover_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"takeoverArm", NULL, js_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeoverClaim", NULL, js_claim, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeoverOnFired", NULL, js_on_fired, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeoverFired", NULL, js_fired, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeoverStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
