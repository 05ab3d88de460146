/**
 * Starts one halo proxy process for the benchmark (no workers: the bench pins one core).
 *   node dist/bench/proxy/halo-server.js http|tcp LISTEN_PORT BACKEND_PORT
 * Loopback only. Prints "ready" when listening.
 */
import { SeededPrng } from '../../src/core/prng.js';
import { buildPools, HttpService } from '../../src/proxy/http-proxy.js';
import { TcpService } from '../../src/proxy/tcp-proxy.js';
import { Ticker } from '../../src/proxy/upstream.js';
import { backendSpec, poolSpec, serviceSpec } from '../../src/proxy/types.js';
import { pickerRegistry } from '../../src/proxy/pickers.js';

const [mode, listen, backend] = process.argv.slice(2);
const ticker = new Ticker(100);
const { pools } = buildPools([poolSpec('web', [backendSpec('127.0.0.1', Number(backend))], { keepalive: { maxIdle: 256, idleTimeoutMs: 60_000, maxRequests: 1_000_000, maxLifetimeMs: 3_600_000 } })], pickerRegistry, new SeededPrng(1));
ticker.add({ tick: (now) => pools.forEach((p) => p.tick(now)) });
const spec = serviceSpec({ name: 'bench', pool: 'web', listenPort: Number(listen), protocol: mode === 'tcp' ? 'tcp' : 'http' });
const svc = mode === 'tcp' ? new TcpService(spec, pools, { ticker }) : new HttpService(spec, pools, { ticker });
await svc.listen();
console.log('ready');
process.on('SIGTERM', () => process.exit(0));
