/*
 * What the parts of halo_net share: the finished VRRP advert (stop_adverts.c, takeover.c), the
 * rtnetlink address request (netlink.c, takeover.c) and the neighbour announcements (halo_net.c,
 * takeover.c). Each is built once from JavaScript arguments and sent later, possibly from a
 * signal handler or another thread, so the structs hold everything the send needs.
 */
#ifndef HALO_SHARED_H
#define HALO_SHARED_H

#include <node_api.h>

#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* A VRRP advert with 255 IPv4 addresses is 1028 bytes (v2 with auth 1036); IPv6 ones beyond ~90
 * addresses would not fit a 1500-byte link anyway. */
#define HALO_ADVERT_PAYLOAD_MAX 1500

/* One advert as sendmsg(2) takes it: the raw VRRP socket, the destination, the control messages
 * (IP_PKTINFO / IPV6_PKTINFO for the source, IP_TTL / IPV6_HOPLIMIT) and the payload. */
typedef struct halo_advert_msg {
  int fd;
  struct sockaddr_storage to;
  socklen_t to_len;
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  size_t ctl_len;
  size_t payload_len;
  uint8_t payload[HALO_ADVERT_PAYLOAD_MAX]; /* last: copies stop at payload_len */
} halo_advert_msg;

/* Reads (fd, family 4|6, ifindex, dst, src|null, ttl 1..255, payload) from args[0..6] into `m`.
 * Returns 0, -EMSGSIZE (payload too big) or -EINVAL with *why naming the bad argument. */
int halo_advert_msg_from_js(napi_env env, const napi_value *args, halo_advert_msg *m, const char **why);
/* sendmsg(2) of a built advert, MSG_DONTWAIT; async-signal-safe. Returns 0 or -errno. */
int halo_advert_msg_send(const halo_advert_msg *m);

/* One RTM_NEWADDR / RTM_DELADDR request with its attributes. */
struct halo_nl_req {
  struct nlmsghdr nh;
  struct ifaddrmsg ifa;
  char attrs[256];
};
/* Builds a request from (ifname, family, addressBytes, prefixLen[, options]) in args[0..argc-1].
 * Returns 0 or -errno (EINVAL for a bad argument, ENODEV for an unknown interface). */
int halo_nl_request_from_js(napi_env env, const napi_value *args, size_t argc, int del, struct halo_nl_req *r);
/* A NETLINK_ROUTE socket whose receives time out after `timeout_ms`: fd or -errno. */
int halo_nl_socket(int timeout_ms);
/* Sends `r` with the next sequence number of *seq on `fd` and waits for its ack: 0 or -errno. */
int halo_nl_transact(int fd, uint32_t *seq, struct halo_nl_req *r);

/* The interface's Ethernet address through any socket `fd`; -1 with errno set on failure. */
int halo_interface_hwaddr(int fd, const char *ifname, unsigned char mac[6]);
/* A gratuitous ARP frame (RFC 5227 section 3 announcement) and where to send it. */
void halo_garp_frame(const unsigned char mac[6], const struct in_addr *ip, unsigned ifindex, unsigned char frame[60], struct sockaddr_ll *to);
/* An unsolicited neighbour advertisement (RFC 4861 section 7.2.6) of `target`, checksum by the kernel. */
void halo_na_packet(const unsigned char mac[6], const struct in6_addr *target, bool router, unsigned char pkt[32]);

/* halo_net.c: a TypeError with code EINVAL (returns NULL), an int64, a slot number argument in
 * 0..slots-1 (or -1). */
napi_value halo_throw_type(napi_env env, const char *msg);
napi_value halo_make_int(napi_env env, int64_t v);
int halo_slot_arg(napi_env env, napi_value v, int slots);

/* takeover.c: a VRRP socket's readiness callback is running (reading and delivering packets). */
int halo_takeover_input_begin(void);
void halo_takeover_input_end(int began);
/* takeover.c: a raw socket closes: no armed takeover may keep its descriptor number. */
void halo_takeover_forget_fd(int fd);

#endif
