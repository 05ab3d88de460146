/** The operator's next step for the errno names the adapters see most, appended to messages. */
const HINTS: Readonly<Record<string, string>> = {
  EPERM: 'needs CAP_NET_RAW',
  EACCES: 'needs CAP_NET_RAW',
  ENODEV: 'no such interface',
  ENETDOWN: 'interface is down',
  ENETUNREACH: 'no route to the destination',
  EADDRNOTAVAIL: 'address is not on the interface',
  ENOBUFS: 'socket buffer full',
};

/** `EPERM (needs CAP_NET_RAW)`, or the bare errno name when there is nothing useful to add. */
export function describeErrno(errno: string): string {
  const hint = HINTS[errno];
  return hint ? `${errno} (${hint})` : errno;
}
