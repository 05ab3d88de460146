/*
 * halo's own rtnetlink requests for VIPs: RTM_NEWADDR / RTM_DELADDR on one NETLINK_ROUTE socket that
 * is opened on first use and kept, as keepalived adds its VIPs with one netlink request instead of
 * running `ip addr add` (a fork+exec that blocks the event loop for milliseconds on a loaded
 * machine, see docs/vrrp.md). The calls are synchronous: the kernel answers an address request with
 * its ack within microseconds, and a receive time-out (NL_RCV_TIMEOUT_MS) bounds the wait so a call
 * can never hang. Every argument is checked here; a bad one is a negative errno, never a crash.
 *
 * JS API (all return 0 or -errno):
 *   addressAdd(ifname, family 4|6, addressBytes, prefixLen, {label?, scope?, broadcast?, flags?})
 *   addressDel(ifname, family 4|6, addressBytes, prefixLen)
 *   netlinkOpen() -> opens the socket now (a takeover's first VIP add then spends no time on it)
 *   netlinkStats() -> {requests, timeouts, open}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "halo_shared.h"

#define NL_RCV_TIMEOUT_MS 1000
/* Replies read while looking for our ack: stale acks of a request that timed out are skipped. */
#define NL_READS_MAX 16
#define NL_LABEL_MAX 15 /* IFNAMSIZ - 1 */

static int nl_fd = -1;
static uint32_t nl_seq;
static double nl_requests, nl_timeouts;

int halo_nl_socket(int timeout_ms) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct sockaddr_nl local;
  memset(&local, 0, sizeof local);
  local.nl_family = AF_NETLINK;
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static int nl_open(void) {
  if (nl_fd >= 0) return 0;
  int fd = halo_nl_socket(NL_RCV_TIMEOUT_MS);
  if (fd < 0) return fd;
  nl_fd = fd;
  return 0;
}

static int add_attr(struct halo_nl_req *r, unsigned short type, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(r->nh.nlmsg_len);
  size_t alen = RTA_LENGTH(len);
  if (off + RTA_ALIGN(alen) > sizeof *r) return -ENOBUFS;
  struct rtattr *rta = (struct rtattr *)((char *)r + off);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)alen;
  if (len) memcpy(RTA_DATA(rta), data, len);
  r->nh.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
  return 0;
}

/* Sends one request with NLM_F_ACK and waits for the ack carrying its sequence number. */
int halo_nl_transact(int fd, uint32_t *seq, struct halo_nl_req *r) {
  r->nh.nlmsg_seq = ++*seq;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do n = sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (int reads = 0; reads < NL_READS_MAX; reads++) {
    do n = recv(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return -ETIMEDOUT;
      return -errno;
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != r->nh.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EPROTO;
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error; /* 0 is the ack, otherwise -errno */
      }
    }
  }
  return -EPROTO;
}

static int nl_transact(struct halo_nl_req *r) {
  int err = nl_open();
  if (err) return err;
  nl_requests++;
  err = halo_nl_transact(nl_fd, &nl_seq, r);
  if (err == -ETIMEDOUT) nl_timeouts++;
  return err;
}

static int get_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return -1;
  napi_typedarray_type type;
  void *p = NULL;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_uint8_array) return -1;
  *data = p;
  return 0;
}

static napi_value ret_int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static int opt_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return -1;
  napi_valuetype t;
  if (napi_typeof(env, *out, &t) != napi_ok) return -1;
  return t == napi_undefined || t == napi_null ? 0 : 1;
}

static int build_options(napi_env env, napi_value obj, int32_t family, struct halo_nl_req *r);

/* Common argument checks; fills the header of `r` (halo_shared.h). */
int halo_nl_request_from_js(napi_env env, const napi_value *argv, size_t argc, int del, struct halo_nl_req *r) {
  if (argc < 4) return -EINVAL;
  char ifname[IFNAMSIZ + 1];
  size_t iflen = 0;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string) return -EINVAL;
  if (napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &iflen) != napi_ok) return -EINVAL;
  if (iflen == 0 || iflen >= IFNAMSIZ) return -ENODEV;
  int32_t family = 0, prefix = -1;
  if (napi_get_value_int32(env, argv[1], &family) != napi_ok || (family != 4 && family != 6)) return -EAFNOSUPPORT;
  const uint8_t *addr = NULL;
  size_t alen = 0;
  if (get_bytes(env, argv[2], &addr, &alen)) return -EINVAL;
  size_t want = family == 4 ? 4 : 16;
  if (alen != want) return -EINVAL;
  if (napi_get_value_int32(env, argv[3], &prefix) != napi_ok || prefix < 0 || prefix > (int32_t)want * 8) return -EINVAL;
  memset(r, 0, sizeof *r);
  r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  r->nh.nlmsg_type = del ? RTM_DELADDR : RTM_NEWADDR;
  /* CREATE|EXCL as `ip addr add` sends: an address already there is EEXIST, which the adapter
     treats as success, exactly as it treats ip's "File exists". */
  r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL);
  r->ifa.ifa_family = family == 4 ? AF_INET : AF_INET6;
  r->ifa.ifa_prefixlen = (unsigned char)prefix;
  /* Like `ip addr add`: a loopback IPv4 address is host-scoped unless a scope is given. */
  r->ifa.ifa_scope = (!del && family == 4 && addr[0] == 127) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  if (add_attr(r, IFA_LOCAL, addr, alen) || add_attr(r, IFA_ADDRESS, addr, alen)) return -ENOBUFS;
  if (!del && argc >= 5) {
    int err = build_options(env, argv[4], family, r);
    if (err) return err;
  }
  /* Last: every argument is checked before the name is looked up, so a bad one is EINVAL
     whether or not the interface exists. */
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return -ENODEV;
  r->ifa.ifa_index = ifindex;
  return 0;
}

/* The options object of addressAdd: label, scope, broadcast, flags; each optional. */
static int build_options(napi_env env, napi_value obj, int32_t family, struct halo_nl_req *r) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok) return -EINVAL;
  if (t == napi_undefined || t == napi_null) return 0;
  if (t != napi_object) return -EINVAL;
  napi_value v;
  int has;
  if ((has = opt_prop(env, obj, "label", &v)) < 0) return -EINVAL;
  if (has) {
    char label[NL_LABEL_MAX + 2];
    size_t llen = 0;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return -EINVAL;
    if (napi_get_value_string_utf8(env, v, label, sizeof label, &llen) != napi_ok) return -EINVAL;
    if (llen == 0 || llen > NL_LABEL_MAX || family != 4) return -EINVAL;
    if (add_attr(r, IFA_LABEL, label, llen + 1)) return -ENOBUFS;
  }
  if ((has = opt_prop(env, obj, "scope", &v)) < 0) return -EINVAL;
  if (has) {
    int32_t scope;
    if (napi_get_value_int32(env, v, &scope) != napi_ok || scope < 0 || scope > 255) return -EINVAL;
    r->ifa.ifa_scope = (unsigned char)scope;
  }
  if ((has = opt_prop(env, obj, "broadcast", &v)) < 0) return -EINVAL;
  if (has) {
    const uint8_t *brd = NULL;
    size_t blen = 0;
    if (family != 4 || get_bytes(env, v, &brd, &blen) || blen != 4) return -EINVAL;
    if (add_attr(r, IFA_BROADCAST, brd, 4)) return -ENOBUFS;
  }
  if ((has = opt_prop(env, obj, "flags", &v)) < 0) return -EINVAL;
  if (has) {
    uint32_t flags;
    if (napi_get_value_uint32(env, v, &flags) != napi_ok) return -EINVAL;
    /* The 8-bit header field carries the classic flags (IFA_F_NODAD is 0x02); IFA_FLAGS the rest. */
    r->ifa.ifa_flags = (unsigned char)(flags & 0xff);
    if (flags > 0xff && add_attr(r, IFA_FLAGS, &flags, sizeof flags)) return -ENOBUFS;
  }
  return 0;
}

static int build(napi_env env, napi_callback_info info, int del, struct halo_nl_req *r) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -EINVAL;
  return halo_nl_request_from_js(env, argv, argc, del, r);
}

static napi_value js_address_add(napi_env env, napi_callback_info info) {
  struct halo_nl_req r;
  int err = build(env, info, 0, &r);
  return ret_int(env, err ? err : nl_transact(&r));
}

static napi_value js_address_del(napi_env env, napi_callback_info info) {
  struct halo_nl_req r;
  int err = build(env, info, 1, &r);
  return ret_int(env, err ? err : nl_transact(&r));
}

static napi_value js_netlink_open(napi_env env, napi_callback_info info) {
  (void)info;
  return ret_int(env, nl_open());
}

static napi_value js_netlink_stats(napi_env env, napi_callback_info info) {
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_double(env, nl_requests, &v);
  napi_set_named_property(env, out, "requests", v);
  napi_create_double(env, nl_timeouts, &v);
  napi_set_named_property(env, out, "timeouts", v);
  napi_get_boolean(env, nl_fd >= 0, &v);
  napi_set_named_property(env, out, "open", v);
  return out;
}

void halo_netlink_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"addressAdd", NULL, js_address_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addressDel", NULL, js_address_del, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkOpen", NULL, js_netlink_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkStats", NULL, js_netlink_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
