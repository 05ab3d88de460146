/**
 * The whole HTTP proxy suite again with client connections on Node sockets
 * (HALO_PROXY_FRONT=node): the path a machine without the addon takes, and the one for
 * connections Node accepted before the client front took the listener over.
 */
process.env['HALO_PROXY_FRONT'] = 'node';
await import('./http-proxy.test.js');

const { test } = await import('node:test');
const { nativeFront } = await import('./native-front.js');
test('this run kept every client connection on Node sockets', () => {
  if (nativeFront() !== null) throw new Error('the client front was used although HALO_PROXY_FRONT=node');
});
