/*
 * Priority-0 adverts sent from the SIGTERM / SIGINT handler of the VRRP process.
 *
 * A MASTER that stops sends one advert with priority 0 (RFC 5798 section 6.4.3, RFC 3768 section
 * 6.4.3) so that its backups take over after Skew_Time. In Node that advert would leave only
 * after libuv's signal pipe has woken the event loop and the stop path has run in JS: 2-9 ms
 * after the signal, measured in the failover lab, against 0-1 ms for keepalived, whose signal
 * handling is a few lines of C. Here the TypeScript adapter (src/net/linux/vrrp-socket.ts) keeps
 * the finished priority-0 packet of every MASTER instance in a slot (re-armed whenever it would
 * change: VIPs, source, peers); a signal handler sends every armed slot with sendmsg(2), which is
 * async-signal-safe, and then calls the handler that was installed before it (libuv's), so
 * `process.on('SIGTERM')` still runs and the stop continues in JS.
 *
 * A slot moves EMPTY -> WRITING -> ARMED -> SENDING -> SENT with compare-and-swap on a lock-free
 * atomic, so the handler, which may run on any thread and at any point of the main thread, never
 * sends a half-written packet: a slot being written is skipped (the JS stop path then finds it
 * not SENT and sends the advert itself). A SENT slot tells the adapter that the advert has left,
 * so the JS stop path does not send it a second time (a second priority 0 would restart the
 * backups' Skew_Time) and no later advert with the instance's own priority undoes it.
 *
 * The slots are process-wide (a signal handler has no Node-API environment); the VRRP process has
 * one environment. Slots are cleared when their socket closes, so the handler never writes to a
 * descriptor number that was reused.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>

#include "halo_shared.h"

/* Enough for every MASTER instance times unicast peer of a large director; the adapter falls back
 * to the JS path for an advert that finds no free slot. */
#define STOP_SLOTS_MAX 128
/* Bound on waiting for a handler running on another thread to finish one slot's sendmsg. */
#define STOP_SPIN_MAX 100000

enum { SLOT_EMPTY = 0, SLOT_WRITING = 1, SLOT_ARMED = 2, SLOT_SENDING = 3, SLOT_SENT = 4 };

typedef struct stop_slot {
  atomic_int state;
  halo_advert_msg msg;
} stop_slot;

static stop_slot slots[STOP_SLOTS_MAX];
static atomic_int packets_sent;
static atomic_int send_errors;
static atomic_int signals_seen;

static const int stop_signals[] = {SIGTERM, SIGINT};
#define STOP_SIGNALS_N (int)(sizeof stop_signals / sizeof stop_signals[0])
static struct sigaction previous[STOP_SIGNALS_N];
static bool installed[STOP_SIGNALS_N];

int halo_advert_msg_send(const halo_advert_msg *m) {
  struct iovec iov = {.iov_base = (void *)m->payload, .iov_len = m->payload_len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = (void *)&m->to;
  msg.msg_namelen = m->to_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = (void *)m->ctl.buf;
  msg.msg_controllen = m->ctl_len;
  return sendmsg(m->fd, &msg, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static void send_slot(stop_slot *s) {
  if (halo_advert_msg_send(&s->msg) < 0) atomic_fetch_add(&send_errors, 1);
  else atomic_fetch_add(&packets_sent, 1);
}

static void on_stop_signal(int sig, siginfo_t *info, void *uctx) {
  int saved_errno = errno;
  atomic_fetch_add(&signals_seen, 1);
  for (int i = 0; i < STOP_SLOTS_MAX; i++) {
    int expected = SLOT_ARMED;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expected, SLOT_SENDING)) continue;
    send_slot(&slots[i]);
    atomic_store(&slots[i].state, SLOT_SENT);
  }
  errno = saved_errno;
  for (int k = 0; k < STOP_SIGNALS_N; k++) {
    if (stop_signals[k] != sig || !installed[k]) continue;
    const struct sigaction *old = &previous[k];
    if (old->sa_flags & SA_SIGINFO) {
      if (old->sa_sigaction != NULL) old->sa_sigaction(sig, info, uctx);
    } else if (old->sa_handler == SIG_DFL) {
      /* Nobody else handles it: the default action (terminate) once this handler returns. */
      signal(sig, SIG_DFL);
      raise(sig);
    } else if (old->sa_handler != SIG_IGN && old->sa_handler != NULL) {
      old->sa_handler(sig);
    }
  }
}

/* Waits (bounded) for a handler on another thread to finish the slot, then empties it. Returns
 * whether the slot's packet was sent by the handler. */
static bool slot_clear(stop_slot *s) {
  for (int spin = 0; spin < STOP_SPIN_MAX; spin++) {
    int cur = atomic_load(&s->state);
    if (cur == SLOT_SENDING || cur == SLOT_WRITING) {
      sched_yield();
      continue;
    }
    if (atomic_compare_exchange_strong(&s->state, &cur, SLOT_EMPTY)) return cur == SLOT_SENT;
  }
  return false;
}

/* Called by halo_net.c when a raw socket closes: no slot may keep its descriptor number. */
void halo_stop_forget_fd(int fd) {
  for (int i = 0; i < STOP_SLOTS_MAX; i++) {
    if (atomic_load(&slots[i].state) != SLOT_EMPTY && slots[i].msg.fd == fd) slot_clear(&slots[i]);
  }
}

/* stopInstall() -> number of signals (SIGTERM, SIGINT) whose earlier handler it chains to.
 * Idempotent. Install after process.on('SIGTERM') so that libuv's handler is the one chained. */
static napi_value js_stop_install(napi_env env, napi_callback_info info) {
  int chained = 0;
  for (int k = 0; k < STOP_SIGNALS_N; k++) {
    struct sigaction cur;
    if (sigaction(stop_signals[k], NULL, &cur) < 0) continue;
    bool ours = (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_stop_signal;
    if (!ours) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_stop_signal;
      sa.sa_flags = SA_SIGINFO | SA_RESTART | (cur.sa_flags & SA_ONSTACK);
      sigfillset(&sa.sa_mask);
      previous[k] = cur;
      if (sigaction(stop_signals[k], &sa, NULL) < 0) continue;
      installed[k] = true;
    }
    const struct sigaction *old = &previous[k];
    if ((old->sa_flags & SA_SIGINFO) ? old->sa_sigaction != NULL : (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)) chained++;
  }
  return halo_make_int(env, chained);
}

int halo_advert_msg_from_js(napi_env env, const napi_value *args, halo_advert_msg *m, const char **why) {
  int32_t fd = -1, fam = 0, ifindex = 0, ttl = 0;
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  napi_valuetype srct;
  *why = "(fd, family: 4|6, ifindex, dst: string, src: string|null, ttl: 1..255, payload)";
  if (napi_get_value_int32(env, args[0], &fd) != napi_ok || fd < 0 || napi_get_value_int32(env, args[1], &fam) != napi_ok ||
      (fam != 4 && fam != 6) || napi_get_value_int32(env, args[2], &ifindex) != napi_ok || ifindex < 0 ||
      napi_get_value_string_utf8(env, args[3], dst, sizeof dst, &n) != napi_ok || n >= sizeof dst - 1 ||
      napi_get_value_int32(env, args[5], &ttl) != napi_ok || ttl < 1 || ttl > 255 || napi_typeof(env, args[4], &srct) != napi_ok)
    return -EINVAL;
  bool have_src = srct != napi_null && srct != napi_undefined;
  *why = "src must be an address or null";
  if (have_src && (napi_get_value_string_utf8(env, args[4], src, sizeof src, &n) != napi_ok || n >= sizeof src - 1)) return -EINVAL;
  bool is_typed = false;
  napi_typedarray_type ta_type;
  size_t len = 0;
  void *data = NULL;
  *why = "payload must be a Uint8Array";
  if (napi_is_typedarray(env, args[6], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, args[6], &ta_type, &len, &data, NULL, NULL) != napi_ok || ta_type != napi_uint8_array)
    return -EINVAL;
  if (len > HALO_ADVERT_PAYLOAD_MAX) return -EMSGSIZE;

  memset(m, 0, offsetof(halo_advert_msg, payload));
  m->fd = fd;
  if (fam == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&m->to;
    a->sin_family = AF_INET;
    *why = "dst is not an IPv4 address";
    if (inet_pton(AF_INET, dst, &a->sin_addr) != 1) return -EINVAL;
    m->to_len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&m->to;
    a->sin6_family = AF_INET6;
    *why = "dst is not an IPv6 address";
    if (inet_pton(AF_INET6, dst, &a->sin6_addr) != 1) return -EINVAL;
    a->sin6_scope_id = (uint32_t)ifindex;
    m->to_len = sizeof *a;
  }
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_control = m->ctl.buf;
  msg.msg_controllen = sizeof m->ctl.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (have_src) {
    if (fam == 4) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      *why = "src is not an IPv4 address";
      if (inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1) return -EINVAL;
      pi.ipi_ifindex = ifindex;
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      m->ctl_len += CMSG_SPACE(sizeof pi);
    } else {
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      *why = "src is not an IPv6 address";
      if (inet_pton(AF_INET6, src, &pi.ipi6_addr) != 1) return -EINVAL;
      pi.ipi6_ifindex = (unsigned)ifindex;
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
      m->ctl_len += CMSG_SPACE(sizeof pi);
    }
    c = (struct cmsghdr *)((char *)m->ctl.buf + m->ctl_len);
  }
  /* TTL 255 (RFC 5798 section 5.1.1.3) or the unicast_ttl the JS path would set on the socket. */
  c->cmsg_level = fam == 4 ? IPPROTO_IP : IPPROTO_IPV6;
  c->cmsg_type = fam == 4 ? IP_TTL : IPV6_HOPLIMIT;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int hops = ttl;
  memcpy(CMSG_DATA(c), &hops, sizeof hops);
  m->ctl_len += CMSG_SPACE(sizeof(int));
  memcpy(m->payload, data, len);
  m->payload_len = len;
  return 0;
}

/* stopArm(slot, fd, family: 4|6, ifindex, dst: string, src: string|null, ttl, payload) ->
 *   0 armed; 1 the slot was already sent by the handler (left as it is); -EMSGSIZE too big. */
static napi_value js_stop_arm(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) return halo_throw_type(env, "stopArm(slot, fd, family, ifindex, dst, src, ttl, payload)");
  int slot = halo_slot_arg(env, argv[0], STOP_SLOTS_MAX);
  if (slot < 0) return halo_throw_type(env, "stopArm(slot: 0..127, ...)");
  /* Everything parsed before the slot is taken: the slot stays WRITING only for the copy. */
  halo_advert_msg m;
  const char *why = NULL;
  int err = halo_advert_msg_from_js(env, argv + 1, &m, &why);
  if (err == -EINVAL) return halo_throw_type(env, why);
  if (err) return halo_make_int(env, err);
  stop_slot *s = &slots[slot];
  int cur = atomic_load(&s->state);
  for (int spin = 0;; spin++) {
    if (cur == SLOT_SENT || cur == SLOT_SENDING) return halo_make_int(env, 1);
    if (spin >= STOP_SPIN_MAX) return halo_make_int(env, -EBUSY);
    if ((cur == SLOT_EMPTY || cur == SLOT_ARMED) && atomic_compare_exchange_strong(&s->state, &cur, SLOT_WRITING)) break;
    if (cur == SLOT_WRITING) cur = atomic_load(&s->state);
  }
  memcpy(&s->msg, &m, offsetof(halo_advert_msg, payload) + m.payload_len);
  atomic_store(&s->state, SLOT_ARMED);
  return halo_make_int(env, 0);
}

/* stopDisarm(slot) -> 1 if the handler had sent the slot's packet, else 0; the slot is empty after. */
static napi_value js_stop_disarm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return halo_throw_type(env, "stopDisarm(slot)");
  int slot = halo_slot_arg(env, argv[0], STOP_SLOTS_MAX);
  if (slot < 0) return halo_throw_type(env, "stopDisarm(slot: 0..127)");
  return halo_make_int(env, slot_clear(&slots[slot]) ? 1 : 0);
}

/* stopState(slot) -> 0 empty, 1 armed (or being written), 2 sent (or being sent) by the handler. */
static napi_value js_stop_state(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return halo_throw_type(env, "stopState(slot)");
  int slot = halo_slot_arg(env, argv[0], STOP_SLOTS_MAX);
  if (slot < 0) return halo_throw_type(env, "stopState(slot: 0..127)");
  int cur = atomic_load(&slots[slot].state);
  return halo_make_int(env, cur == SLOT_EMPTY ? 0 : (cur == SLOT_SENT || cur == SLOT_SENDING) ? 2 : 1);
}

/* stopStats() -> { slots, signals, sent, errors } */
static napi_value js_stop_stats(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "slots", halo_make_int(env, STOP_SLOTS_MAX));
  napi_set_named_property(env, out, "signals", halo_make_int(env, atomic_load(&signals_seen)));
  napi_set_named_property(env, out, "sent", halo_make_int(env, atomic_load(&packets_sent)));
  napi_set_named_property(env, out, "errors", halo_make_int(env, atomic_load(&send_errors)));
  return out;
}

void halo_stop_adverts_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"stopInstall", NULL, js_stop_install, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopArm", NULL, js_stop_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopDisarm", NULL, js_stop_disarm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopState", NULL, js_stop_state, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopStats", NULL, js_stop_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
