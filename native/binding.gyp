{
  "targets": [
    {
      "target_name": "halo_net",
      "sources": ["halo_net.c", "prober.c", "netlink.c", "front.c", "stop_adverts.c", "takeover.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "halo_relay",
      "sources": ["relay.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
