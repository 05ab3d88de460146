/*
 * halo_net: the few socket operations Node has no API for, as a Node-API addon.
 *
 *  - raw IP sockets for VRRP (IP protocol 112), IPv4 and IPv6, bound to one interface
 *    (SO_BINDTODEVICE), multicast groups joined by ifindex, TTL / hop limit chosen per send,
 *    source address chosen per send (IP_PKTINFO / IPV6_PKTINFO), and on receipt the TTL / hop
 *    limit and destination of every packet (IPv4: from the IP header the kernel hands raw
 *    sockets; IPv6: IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO ancillary data), and how long ago
 *    the kernel received it (SO_TIMESTAMPNS);
 *  - a gratuitous ARP frame through an AF_PACKET socket (RFC 5227 section 3 announcement);
 *  - an unsolicited neighbour advertisement through a raw ICMPv6 socket (RFC 4861 section 7.2.6);
 *    both sockets are kept open per interface between messages (see "announcement sockets").
 *
 * Readiness comes from libuv (uv_poll on the socket's fd), so nothing blocks and nothing spins:
 * the event loop calls back when the kernel has packets, and each wake-up reads a bounded batch.
 * Only Node-API (ABI-stable) and libuv's stable v1 ABI are used, so one build serves Node 20 and 24.
 * Errors are thrown as JS errors whose `code` is the errno name (EPERM, ENODEV, ...); the
 * TypeScript adapters in src/net/linux catch them and turn them into results.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "halo_shared.h"

/* Packets read per readiness callback: bounds the time one wake-up can hold the loop. */
#define READ_BATCH_MAX 64
#define RECV_BUF_BYTES 4096

typedef struct halo_sock {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  unsigned ifindex;
  int ttl_unicast;
  int ttl_multicast;
  uv_poll_t *poll;
  napi_env env;
  napi_ref callback;
  napi_ref self; /* strong while polling, so the handle outlives JS references */
  napi_async_context async_ctx;
} halo_sock;

/* ---------- small helpers ---------- */

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, strerror(err), name ? name : "E?");
  napi_throw_error(env, name ? name : "EUNKNOWN", msg);
  return NULL;
}

napi_value halo_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "EINVAL", msg);
  return NULL;
}

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      const napi_extended_error_info *info_;                                                       \
      napi_get_last_error_info(env, &info_);                                                       \
      bool pending_;                                                                               \
      napi_is_exception_pending(env, &pending_);                                                   \
      if (!pending_)                                                                               \
        napi_throw_error(env, "EINVAL",                                                            \
                         info_ && info_->error_message ? info_->error_message : "napi failure");  \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static int get_string(napi_env env, napi_value v, char *buf, size_t len) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok) return -1;
  if (n >= len - 1) return -1;
  return 0;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_null || t == napi_undefined;
}

napi_value halo_make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

int halo_slot_arg(napi_env env, napi_value v, int slots) {
  int32_t slot = -1;
  if (napi_get_value_int32(env, v, &slot) != napi_ok || slot < 0 || slot >= slots) return -1;
  return slot;
}

static napi_value make_str(napi_env env, const char *s) {
  napi_value out;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
  return out;
}

int halo_interface_hwaddr(int fd, const char *ifname, unsigned char mac[6]) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1));
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return -1;
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

/* ---------- handle lifecycle ---------- */

/* The strong reference that kept the JS handle alive while polling is dropped only here, in the
 * close callback libuv runs on a later loop turn: a handler that closes the socket from inside a
 * receive callback cannot let the handle be collected while on_readable still uses it. */
static void on_poll_closed(uv_handle_t *h) {
  halo_sock *s = h->data;
  if (s && s->self) {
    napi_delete_reference(s->env, s->self);
    s->self = NULL;
  }
  free(h);
}

void halo_stop_forget_fd(int fd); /* stop_adverts.c */

/* from_finalize: the struct is about to be freed, so the close callback must not touch it. */
static void sock_shutdown(halo_sock *s, int from_finalize) {
  if (s->poll) {
    uv_poll_stop(s->poll);
    s->poll->data = from_finalize ? NULL : s;
    uv_close((uv_handle_t *)s->poll, on_poll_closed);
    s->poll = NULL;
  }
  if (s->fd >= 0) {
    halo_stop_forget_fd(s->fd); /* stop_adverts.c: no signal-time send to a reused descriptor */
    halo_takeover_forget_fd(s->fd); /* takeover.c: no takeover's advert to a reused descriptor */
    close(s->fd);
    s->fd = -1;
  }
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  halo_sock *s = data;
  sock_shutdown(s, 1);
  if (s->callback) napi_delete_reference(env, s->callback);
  if (s->self) napi_delete_reference(env, s->self); /* only at environment teardown */
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  free(s);
}

static halo_sock *unwrap(napi_env env, napi_value obj) {
  void *p = NULL;
  if (napi_unwrap(env, obj, &p) != napi_ok || p == NULL) {
    halo_throw_type(env, "Not a halo raw socket handle");
    return NULL;
  }
  return p;
}

/* open(family: 4|6, protocol: number, ifname: string) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fam = 0, proto = 0;
  char ifname[IFNAMSIZ + 1];
  if (argc < 3 || get_int(env, argv[0], &fam) || get_int(env, argv[1], &proto) ||
      get_string(env, argv[2], ifname, sizeof ifname))
    return halo_throw_type(env, "open(family, protocol, ifname) takes 4|6, a protocol number and an interface name");
  if (fam != 4 && fam != 6) return halo_throw_type(env, "family must be 4 or 6");
  if (proto < 0 || proto > 255) return halo_throw_type(env, "protocol must be 0..255");

  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno ? errno : ENODEV, "if_nametoindex");

  int af = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) return throw_errno(env, errno, "socket");

  int one = 1, zero = 0, ttl = 255;
  /* Bound to the interface: two instances on two interfaces never see each other's packets. */
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) goto fail_bind;
  /* The kernel's receive time of each packet: a timer the packet starts (Skew_Time after a
   * priority 0) counts from when it arrived, not from when the event loop got to it. */
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) goto fail_opt;
  if (fam == 4) {
    struct ip_mreqn mif;
    memset(&mif, 0, sizeof mif);
    mif.imr_ifindex = (int)ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof mif) < 0) goto fail_opt;
    /* RFC 5798 section 5.1.1.3: TTL 255 on every VRRP packet. */
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) goto fail_opt;
    /* Our own adverts are not news to us. */
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) goto fail_opt;
  } else {
    int idx = (int)ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof zero) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one) < 0) goto fail_opt;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0) goto fail_opt;
    if (proto != IPPROTO_ICMPV6) {
      /* The VRRP checksum (RFC 5798 section 5.2.8) is computed by halo's codec, so the kernel
       * must neither fill nor verify one: IPV6_CHECKSUM off (-1). ICMPv6 sockets always have it. */
      int off = -1;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof off) < 0) goto fail_opt;
    }
  }

  halo_sock *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->fd = fd;
  s->family = af;
  s->ifindex = ifindex;
  s->ttl_unicast = 255;
  s->ttl_multicast = 255;
  s->env = env;
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok || napi_wrap(env, obj, s, sock_finalize, NULL, NULL) != napi_ok) {
    close(fd);
    free(s);
    return throw_errno(env, ENOMEM, "napi_wrap");
  }
  return obj;

fail_bind : {
  int e = errno;
  close(fd);
  return throw_errno(env, e, "setsockopt(SO_BINDTODEVICE)");
}
fail_opt : {
  int e = errno;
  close(fd);
  return throw_errno(env, e, "setsockopt");
}
}

/* info(handle) -> { fd, ifindex, family, checksumOffset } (checksumOffset: IPv6 only, -1 = off) */
static napi_value js_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return halo_throw_type(env, "info(handle)");
  halo_sock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "fd", halo_make_int(env, s->fd)));
  CHECK(napi_set_named_property(env, out, "ifindex", halo_make_int(env, s->ifindex)));
  CHECK(napi_set_named_property(env, out, "family", halo_make_int(env, s->family == AF_INET ? 4 : 6)));
  if (s->family == AF_INET6 && s->fd >= 0) {
    int v = 0;
    socklen_t l = sizeof v;
    if (getsockopt(s->fd, IPPROTO_IPV6, IPV6_CHECKSUM, &v, &l) < 0) return throw_errno(env, errno, "getsockopt(IPV6_CHECKSUM)");
    CHECK(napi_set_named_property(env, out, "checksumOffset", halo_make_int(env, v)));
  }
  return out;
}

/* membership(handle, group: string, join: boolean) */
static napi_value js_membership(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return halo_throw_type(env, "membership(handle, group, join)");
  halo_sock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, EBADF, "membership");
  char group[INET6_ADDRSTRLEN + 1];
  bool join = false;
  if (get_string(env, argv[1], group, sizeof group) || napi_get_value_bool(env, argv[2], &join) != napi_ok)
    return halo_throw_type(env, "membership(handle, group: string, join: boolean)");
  if (s->family == AF_INET) {
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1) return halo_throw_type(env, "group is not an IPv4 address");
    m.imr_ifindex = (int)s->ifindex;
    if (setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m) < 0)
      return throw_errno(env, errno, join ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IP_DROP_MEMBERSHIP)");
  } else {
    struct ipv6_mreq m;
    memset(&m, 0, sizeof m);
    if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1) return halo_throw_type(env, "group is not an IPv6 address");
    m.ipv6mr_interface = s->ifindex;
    if (setsockopt(s->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m) < 0)
      return throw_errno(env, errno, join ? "setsockopt(IPV6_JOIN_GROUP)" : "setsockopt(IPV6_LEAVE_GROUP)");
  }
  return NULL;
}

/* send(handle, dst: string, src: string|null, ttl: number, payload: Uint8Array) -> bytes sent */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return halo_throw_type(env, "send(handle, dst, src, ttl, payload)");
  halo_sock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, EBADF, "send");
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  int32_t ttl = 255;
  int have_src = !is_nullish(env, argv[2]);
  if (get_string(env, argv[1], dst, sizeof dst) || (have_src && get_string(env, argv[2], src, sizeof src)) ||
      get_int(env, argv[3], &ttl) || ttl < 1 || ttl > 255)
    return halo_throw_type(env, "send(handle, dst: string, src: string|null, ttl: 1..255, payload)");
  bool is_typed = false;
  CHECK(napi_is_typedarray(env, argv[4], &is_typed));
  if (!is_typed) return halo_throw_type(env, "payload must be a Uint8Array");
  napi_typedarray_type ta_type;
  size_t len = 0;
  void *data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[4], &ta_type, &len, &data, NULL, NULL));
  if (ta_type != napi_uint8_array) return halo_throw_type(env, "payload must be a Uint8Array");

  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  struct iovec iov = {.iov_base = data, .iov_len = len};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);

  if (s->family == AF_INET) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) return halo_throw_type(env, "dst is not an IPv4 address");
    int multicast = IN_MULTICAST(ntohl(to.sin_addr.s_addr));
    int *cur = multicast ? &s->ttl_multicast : &s->ttl_unicast;
    if (*cur != ttl) {
      if (setsockopt(s->fd, IPPROTO_IP, multicast ? IP_MULTICAST_TTL : IP_TTL, &ttl, sizeof ttl) < 0)
        return throw_errno(env, errno, "setsockopt(TTL)");
      *cur = ttl;
    }
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    if (have_src) {
      struct in_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      if (inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1) return halo_throw_type(env, "src is not an IPv4 address");
      pi.ipi_ifindex = (int)s->ifindex;
      msg.msg_control = ctl.buf;
      msg.msg_controllen = CMSG_SPACE(sizeof pi);
      struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof pi);
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
    ssize_t n = sendmsg(s->fd, &msg, 0);
    if (n < 0) return throw_errno(env, errno, "sendmsg");
    return halo_make_int(env, n);
  }

  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, dst, &to.sin6_addr) != 1) return halo_throw_type(env, "dst is not an IPv6 address");
  to.sin6_scope_id = s->ifindex;
  int multicast = IN6_IS_ADDR_MULTICAST(&to.sin6_addr);
  int *cur = multicast ? &s->ttl_multicast : &s->ttl_unicast;
  if (*cur != ttl) {
    if (setsockopt(s->fd, IPPROTO_IPV6, multicast ? IPV6_MULTICAST_HOPS : IPV6_UNICAST_HOPS, &ttl, sizeof ttl) < 0)
      return throw_errno(env, errno, "setsockopt(HOPS)");
    *cur = ttl;
  }
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  if (have_src) {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    if (inet_pton(AF_INET6, src, &pi.ipi6_addr) != 1) return halo_throw_type(env, "src is not an IPv6 address");
    pi.ipi6_ifindex = s->ifindex;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof pi);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  ssize_t n = sendmsg(s->fd, &msg, 0);
  if (n < 0) return throw_errno(env, errno, "sendmsg");
  return halo_make_int(env, n);
}

/* ---------- receiving ---------- */

/* Calls cb(reason: string|null, payload: Buffer|null, src, dst, ttl, ifindex, ageMs): ageMs is how
 * long before this call the kernel received the packet (-1: unknown). */
static void deliver_aged(halo_sock *s, const char *reason, const unsigned char *payload, size_t len, const char *src,
                         const char *dst, int ttl, int ifindex, double age_ms) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[7], result;
  if (napi_get_reference_value(env, s->callback, &cb) != napi_ok || cb == NULL) goto out;
  /* node::MakeCallback wants an object receiver; the global object is the neutral one. */
  napi_get_global(env, &recv);
  if (reason) argv[0] = make_str(env, reason);
  else napi_get_null(env, &argv[0]);
  if (payload) {
    void *copy;
    napi_create_buffer_copy(env, len, payload, &copy, &argv[1]);
  } else {
    napi_get_null(env, &argv[1]);
  }
  argv[2] = make_str(env, src);
  argv[3] = make_str(env, dst);
  argv[4] = halo_make_int(env, ttl);
  argv[5] = halo_make_int(env, ifindex);
  napi_create_double(env, age_ms, &argv[6]);
  napi_make_callback(env, s->async_ctx, recv, cb, 7, argv, &result);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    /* A throwing handler becomes an uncaught exception, as it would from any Node callback. */
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
out:
  napi_close_handle_scope(env, scope);
}

static void deliver(halo_sock *s, const char *reason, const unsigned char *payload, size_t len, const char *src,
                    const char *dst, int ttl, int ifindex) {
  deliver_aged(s, reason, payload, len, src, dst, ttl, ifindex, -1);
}

/* Milliseconds from the packet's SO_TIMESTAMPNS (CLOCK_REALTIME) to now; -1 without one, or when
 * the wall clock stepped so that the age is negative or absurd. */
static double packet_age_ms(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    struct timespec ts, now;
    memcpy(&ts, CMSG_DATA(c), sizeof ts);
    if (clock_gettime(CLOCK_REALTIME, &now) < 0) return -1;
    double age = (double)(now.tv_sec - ts.tv_sec) * 1e3 + (double)(now.tv_nsec - ts.tv_nsec) / 1e6;
    return age >= 0 && age < 60000 ? age : -1;
  }
  return -1;
}

static void read_batch(uv_poll_t *h, int status, int events) {
  halo_sock *s = h->data;
  if (!s || s->fd < 0 || !s->poll) return;
  if (status < 0) {
    /* A poll error would repeat on every loop turn: stop polling and tell the adapter once. */
    uv_poll_stop(h);
    deliver(s, uv_err_name(status), NULL, 0, "", "", 0, 0);
    return;
  }
  if (!(events & UV_READABLE)) return;
  for (int i = 0; i < READ_BATCH_MAX && s->fd >= 0 && s->poll; i++) {
    unsigned char buf[RECV_BUF_BYTES];
    union {
      char b[256];
      struct cmsghdr align;
    } ctl;
    struct sockaddr_storage from;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.b;
    msg.msg_controllen = sizeof ctl.b;
    ssize_t n = recvmsg(s->fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      deliver(s, strerrorname_np(errno) ? strerrorname_np(errno) : "EIO", NULL, 0, "", "", 0, 0);
      return;
    }
    char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
    int ttl = -1, ifindex = 0;
    if (msg.msg_flags & MSG_TRUNC) {
      deliver(s, "truncated", NULL, 0, "", "", 0, 0);
      continue;
    }
    if (s->family == AF_INET) {
      /* Raw IPv4 sockets receive the IP header: TTL and addresses come from it. */
      if (n < 20 || (buf[0] >> 4) != 4) {
        deliver(s, "short_ip_header", NULL, 0, "", "", 0, 0);
        continue;
      }
      size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
      if (ihl < 20 || (size_t)n < ihl) {
        deliver(s, "short_ip_header", NULL, 0, "", "", 0, 0);
        continue;
      }
      ttl = buf[8];
      inet_ntop(AF_INET, buf + 12, src, sizeof src);
      inet_ntop(AF_INET, buf + 16, dst, sizeof dst);
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          struct in_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          ifindex = pi.ipi_ifindex;
        }
      }
      deliver_aged(s, NULL, buf + ihl, (size_t)n - ihl, src, dst, ttl, ifindex, packet_age_ms(&msg));
    } else {
      const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)&from;
      inet_ntop(AF_INET6, &f6->sin6_addr, src, sizeof src);
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT) {
          memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        } else if (c->cmsg_type == IPV6_PKTINFO) {
          struct in6_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          inet_ntop(AF_INET6, &pi.ipi6_addr, dst, sizeof dst);
          ifindex = (int)pi.ipi6_ifindex;
        }
      }
      if (ttl < 0 || dst[0] == 0) {
        deliver(s, "missing_ancillary", NULL, 0, src, dst, 0, ifindex);
        continue;
      }
      deliver_aged(s, NULL, buf, (size_t)n, src, dst, ttl, ifindex, packet_age_ms(&msg));
    }
  }
}

/* A takeover armed on another thread waits while packets are read and handled (takeover.c): a
 * packet taken off the socket just before the deadline is heard before the takeover, as it would
 * have been in JavaScript. */
static void on_readable(uv_poll_t *h, int status, int events) {
  int began = halo_takeover_input_begin();
  read_batch(h, status, events);
  halo_takeover_input_end(began);
}

/* start(handle, callback) */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return halo_throw_type(env, "start(handle, callback)");
  halo_sock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, EBADF, "start");
  if (s->poll) return throw_errno(env, EALREADY, "start");
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t != napi_function) return halo_throw_type(env, "callback must be a function");
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_t *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, ENOMEM, "calloc");
  int r = uv_poll_init_socket(loop, p, s->fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, -r, "uv_poll_init");
  }
  p->data = s;
  r = uv_poll_start(p, UV_READABLE, on_readable);
  if (r < 0) {
    uv_close((uv_handle_t *)p, on_poll_closed);
    return throw_errno(env, -r, "uv_poll_start");
  }
  s->poll = p;
  CHECK(napi_create_reference(env, argv[1], 1, &s->callback));
  CHECK(napi_create_reference(env, argv[0], 1, &s->self));
  napi_value name = make_str(env, "halo.rawsocket");
  CHECK(napi_async_init(env, NULL, name, &s->async_ctx));
  return NULL;
}

/* close(handle): stops polling and closes the fd; idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return halo_throw_type(env, "close(handle)");
  halo_sock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  sock_shutdown(s, 0);
  return NULL;
}

/* ---------- announcement sockets, kept open per interface ---------- */

/* Opening a packet socket is cheap but closing one is not: the kernel waits for an RCU grace
 * period (synchronize_net) before it returns, measured at ~10 ms per message in the failover lab,
 * all of it blocking the event loop of the VRRP process between the announcements of a takeover.
 * So each interface keeps one send-only AF_PACKET socket (gratuitous ARP) and one raw ICMPv6 socket
 * bound to it (neighbour advertisements) for the life of the process. They are closed by
 * closeAnnounceSockets() (the runtime's stop), when the interface's index changes (it was deleted
 * and made again) and when a send says the interface is gone (ENODEV, ENXIO). The table is per
 * Node-API environment (instance data), so worker threads never share descriptors. */
#define ANNOUNCE_IFACES_MAX 64

typedef struct announce_iface {
  char ifname[IFNAMSIZ + 1];
  unsigned ifindex;
  int fd_arp; /* -1 until first needed */
  int fd_na;  /* -1 until first needed */
} announce_iface;

typedef struct announce_table {
  announce_iface ifaces[ANNOUNCE_IFACES_MAX];
  int count;
  int evict_next;   /* round-robin victim when the table is full */
  int64_t opened;   /* sockets opened since the addon was loaded (tests: reuse means this stays put) */
} announce_table;

static void announce_close_iface(announce_iface *a) {
  if (a->fd_arp >= 0) close(a->fd_arp);
  if (a->fd_na >= 0) close(a->fd_na);
  a->fd_arp = a->fd_na = -1;
}

static void announce_table_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  announce_table *t = data;
  for (int i = 0; i < t->count; i++) announce_close_iface(&t->ifaces[i]);
  free(t);
}

static announce_table *announce_table_of(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data != NULL) return data;
  announce_table *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  if (napi_set_instance_data(env, t, announce_table_finalize, NULL) != napi_ok) {
    free(t);
    return NULL;
  }
  return t;
}

/* The table entry of an interface, made (or taken over from a stale index) when needed. */
static announce_iface *announce_iface_of(announce_table *t, const char *ifname, unsigned ifindex) {
  for (int i = 0; i < t->count; i++) {
    announce_iface *a = &t->ifaces[i];
    if (strcmp(a->ifname, ifname) != 0) continue;
    if (a->ifindex != ifindex) {
      /* The name now belongs to another link: the old sockets are bound to a dead one. */
      announce_close_iface(a);
      a->ifindex = ifindex;
    }
    return a;
  }
  announce_iface *a;
  if (t->count < ANNOUNCE_IFACES_MAX) {
    a = &t->ifaces[t->count++];
  } else {
    a = &t->ifaces[t->evict_next];
    t->evict_next = (t->evict_next + 1) % ANNOUNCE_IFACES_MAX;
    announce_close_iface(a);
  }
  memset(a, 0, sizeof *a);
  snprintf(a->ifname, sizeof a->ifname, "%s", ifname);
  a->ifindex = ifindex;
  a->fd_arp = a->fd_na = -1;
  return a;
}

/* Opens the interface's announcement socket of `family` if it is not open: NULL, or the failed
 * call's name with errno set. IPv4: a send-only packet socket (protocol 0: it receives nothing).
 * IPv6: a raw ICMPv6 socket bound to the interface that receives nothing, hop limit 255. */
static const char *announce_open(announce_table *t, announce_iface *a, int family) {
  if (family == 4) {
    if (a->fd_arp >= 0) return NULL;
    a->fd_arp = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (a->fd_arp < 0) return "socket(AF_PACKET)";
    t->opened++;
    return NULL;
  }
  if (a->fd_na >= 0) return NULL;
  int nfd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (nfd < 0) return "socket(ICMPv6)";
  int hops = 255, idx = (int)a->ifindex;
  struct icmp6_filter filt;
  ICMP6_FILTER_SETBLOCKALL(&filt);
  if (setsockopt(nfd, SOL_SOCKET, SO_BINDTODEVICE, a->ifname, (socklen_t)strlen(a->ifname)) < 0 ||
      setsockopt(nfd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt) < 0 ||
      setsockopt(nfd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0 ||
      setsockopt(nfd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) < 0) {
    int e = errno;
    close(nfd);
    errno = e;
    return "setsockopt(ICMPv6)";
  }
  a->fd_na = nfd;
  t->opened++;
  return NULL;
}

/* openAnnounceSocket(ifname, family 4|6): opens now the socket the interface's first announcement
 * would open (a takeover then spends no time on it); throws with the errno name. */
static napi_value js_announce_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ + 1];
  int32_t family = 0;
  if (argc < 2 || get_string(env, argv[0], ifname, sizeof ifname) || napi_get_value_int32(env, argv[1], &family) != napi_ok ||
      (family != 4 && family != 6))
    return halo_throw_type(env, "openAnnounceSocket(ifname, family 4|6)");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno ? errno : ENODEV, "if_nametoindex");
  announce_table *t = announce_table_of(env);
  if (t == NULL) return throw_errno(env, ENOMEM, "announce sockets");
  const char *what = announce_open(t, announce_iface_of(t, ifname, ifindex), family);
  if (what != NULL) return throw_errno(env, errno, what);
  return NULL;
}

/* After a failed send: the interface is gone, so are its sockets. */
static void announce_forget_if_gone(announce_iface *a, int err) {
  if (err == ENODEV || err == ENXIO) announce_close_iface(a);
}

/* closeAnnounceSockets([ifname]) -> number of sockets closed: one interface's, or all. */
static napi_value js_announce_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ + 1] = "";
  bool all = argc < 1 || is_nullish(env, argv[0]);
  if (!all && get_string(env, argv[0], ifname, sizeof ifname)) return halo_throw_type(env, "closeAnnounceSockets([ifname])");
  announce_table *t = announce_table_of(env);
  int64_t closed = 0;
  if (t != NULL) {
    for (int i = 0; i < t->count; i++) {
      announce_iface *a = &t->ifaces[i];
      if (!all && strcmp(a->ifname, ifname) != 0) continue;
      closed += (a->fd_arp >= 0) + (a->fd_na >= 0);
      announce_close_iface(a);
    }
  }
  return halo_make_int(env, closed);
}

/* announceStats() -> { opened, open }: sockets opened since load, and open now. */
static napi_value js_announce_stats(napi_env env, napi_callback_info info) {
  (void)info;
  announce_table *t = announce_table_of(env);
  int64_t open_now = 0, opened = 0;
  if (t != NULL) {
    opened = t->opened;
    for (int i = 0; i < t->count; i++) open_now += (t->ifaces[i].fd_arp >= 0) + (t->ifaces[i].fd_na >= 0);
  }
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "opened", halo_make_int(env, opened)));
  CHECK(napi_set_named_property(env, out, "open", halo_make_int(env, open_now)));
  return out;
}

/* ---------- neighbour announcements ---------- */

void halo_garp_frame(const unsigned char mac[6], const struct in_addr *ip, unsigned ifindex, unsigned char frame[60], struct sockaddr_ll *to) {
  memset(frame, 0, 60);
  memset(frame, 0xff, 6);          /* Ethernet destination: broadcast */
  memcpy(frame + 6, mac, 6);       /* Ethernet source */
  frame[12] = 0x08, frame[13] = 0x06; /* ETH_P_ARP */
  unsigned char *a = frame + 14;
  a[0] = 0x00, a[1] = 0x01;         /* htype Ethernet */
  a[2] = 0x08, a[3] = 0x00;         /* ptype IPv4 */
  a[4] = 6, a[5] = 4;               /* hlen, plen */
  a[6] = 0x00, a[7] = 0x01;         /* op request */
  memcpy(a + 8, mac, 6);            /* sender MAC */
  memcpy(a + 14, ip, 4);            /* sender IP */
  memset(a + 18, 0xff, 6);          /* target MAC: broadcast, as arping -U does */
  memcpy(a + 24, ip, 4);            /* target IP = sender IP: gratuitous */
  memset(to, 0, sizeof *to);
  to->sll_family = AF_PACKET;
  to->sll_ifindex = (int)ifindex;
  to->sll_protocol = htons(ETH_P_ARP);
  to->sll_halen = 6;
  memset(to->sll_addr, 0xff, 6);
}

void halo_na_packet(const unsigned char mac[6], const struct in6_addr *target, bool router, unsigned char pkt[32]) {
  memset(pkt, 0, 32);
  pkt[0] = ND_NEIGHBOR_ADVERT; /* type 136, code 0, checksum by the kernel */
  pkt[4] = router ? 0xa0 : 0x20; /* flags: Router (0x80) as asked, Override (0x20) always */
  memcpy(pkt + 8, target, 16);
  pkt[24] = ND_OPT_TARGET_LINKADDR;
  pkt[25] = 1; /* option length in units of 8 octets */
  memcpy(pkt + 26, mac, 6);
}

/* sendGratuitousArp(ifname, ipv4) -> bytes: an ARP request with sender = target = the address
 * (RFC 5227 section 3 "ARP Announcement"), broadcast, from the interface's MAC. Linux receivers
 * treat sender == target as gratuitous and override an existing entry at once (no locktime). */
static napi_value js_garp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ + 1], addr[INET_ADDRSTRLEN + 1];
  struct in_addr ip;
  if (argc < 2 || get_string(env, argv[0], ifname, sizeof ifname) || get_string(env, argv[1], addr, sizeof addr) ||
      inet_pton(AF_INET, addr, &ip) != 1)
    return halo_throw_type(env, "sendGratuitousArp(ifname, ipv4)");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno ? errno : ENODEV, "if_nametoindex");
  announce_table *t = announce_table_of(env);
  if (t == NULL) return throw_errno(env, ENOMEM, "announce sockets");
  announce_iface *ai = announce_iface_of(t, ifname, ifindex);
  const char *what = announce_open(t, ai, 4);
  if (what != NULL) return throw_errno(env, errno, what);
  int fd = ai->fd_arp;
  unsigned char mac[6];
  /* Read each time: the MAC of an interface can change while the socket stays open. */
  if (halo_interface_hwaddr(fd, ifname, mac) < 0) {
    int e = errno;
    announce_forget_if_gone(ai, e);
    return throw_errno(env, e, "ioctl(SIOCGIFHWADDR)");
  }
  unsigned char frame[60];
  struct sockaddr_ll to;
  halo_garp_frame(mac, &ip, ifindex, frame, &to);
  ssize_t n = sendto(fd, frame, sizeof frame, 0, (struct sockaddr *)&to, sizeof to);
  int e = errno;
  if (n < 0) {
    announce_forget_if_gone(ai, e);
    return throw_errno(env, e, "sendto(AF_PACKET)");
  }
  return halo_make_int(env, n);
}

/* sendUnsolicitedNa(ifname, ipv6, router) -> bytes: RFC 4861 section 7.2.6, to all-nodes ff02::1
 * with hop limit 255, Override set, Solicited clear, Router as asked (RFC 5798 section 6.4.1 sets
 * it for a virtual router), and the Target Link-Layer Address option, so neighbours replace the
 * cached MAC of the address. The kernel fills the ICMPv6 checksum and picks the interface's
 * link-local address as source. */
static napi_value js_na(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ + 1], addr[INET6_ADDRSTRLEN + 1];
  struct in6_addr target;
  bool router = false;
  if (argc < 3 || get_string(env, argv[0], ifname, sizeof ifname) || get_string(env, argv[1], addr, sizeof addr) ||
      inet_pton(AF_INET6, addr, &target) != 1 || napi_get_value_bool(env, argv[2], &router) != napi_ok)
    return halo_throw_type(env, "sendUnsolicitedNa(ifname, ipv6, router: boolean)");
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno ? errno : ENODEV, "if_nametoindex");
  announce_table *t = announce_table_of(env);
  if (t == NULL) return throw_errno(env, ENOMEM, "announce sockets");
  announce_iface *ai = announce_iface_of(t, ifname, ifindex);
  const char *what = announce_open(t, ai, 6);
  if (what != NULL) return throw_errno(env, errno, what);
  int fd = ai->fd_na;
  unsigned char mac[6];
  if (halo_interface_hwaddr(fd, ifname, mac) < 0) {
    int e = errno;
    announce_forget_if_gone(ai, e);
    return throw_errno(env, e, "ioctl(SIOCGIFHWADDR)");
  }
  unsigned char pkt[32];
  halo_na_packet(mac, &target, router, pkt);
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = ifindex;
  ssize_t n = sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to);
  int e = errno;
  if (n < 0) {
    announce_forget_if_gone(ai, e);
    return throw_errno(env, e, "sendto(ICMPv6)");
  }
  return halo_make_int(env, n);
}

/* hwaddr(ifname) -> "aa:bb:cc:dd:ee:ff" */
static napi_value js_hwaddr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IFNAMSIZ + 1];
  if (argc < 1 || get_string(env, argv[0], ifname, sizeof ifname)) return halo_throw_type(env, "hwaddr(ifname)");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  unsigned char mac[6];
  int r = halo_interface_hwaddr(fd, ifname, mac);
  int e = errno;
  close(fd);
  if (r < 0) return throw_errno(env, e, "ioctl(SIOCGIFHWADDR)");
  char out[18];
  snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return make_str(env, out);
}

void halo_prober_init(napi_env env, napi_value exports); /* prober.c */
void halo_netlink_init(napi_env env, napi_value exports); /* netlink.c */
void halo_front_init(napi_env env, napi_value exports);   /* front.c */
void halo_stop_adverts_init(napi_env env, napi_value exports); /* stop_adverts.c */
void halo_takeover_init(napi_env env, napi_value exports);     /* takeover.c */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"membership", NULL, js_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendGratuitousArp", NULL, js_garp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openAnnounceSocket", NULL, js_announce_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendUnsolicitedNa", NULL, js_na, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hwaddr", NULL, js_hwaddr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeAnnounceSockets", NULL, js_announce_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"announceStats", NULL, js_announce_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  halo_prober_init(env, exports);
  halo_netlink_init(env, exports);
  halo_front_init(env, exports);
  halo_stop_adverts_init(env, exports);
  halo_takeover_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
