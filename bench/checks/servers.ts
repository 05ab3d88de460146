// The real servers of the health-check benchmark: COUNT listeners on 127.0.0.1, one per port,
// each answering HTTP (a TCP_CHECK only connects). Prints one JSON line with the ports, then
// serves until killed. Usage: node servers.js COUNT
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const count = Number(process.argv[2] ?? '10000');
const body = 'ok\n';
const handler = (_req: unknown, res: ServerResponse): void => {
  res.writeHead(200, { 'Content-Length': body.length, Connection: 'close' });
  res.end(body);
};
const servers: Server[] = [];
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const s = createServer(handler);
  s.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1', backlog: 64 }, resolve);
  });
  servers.push(s);
  ports.push((s.address() as AddressInfo).port);
}
process.stdout.write(JSON.stringify({ ports }) + '\n');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
process.on('SIGTERM', () => {
  const c = process.cpuUsage(cpu0);
  process.stderr.write(JSON.stringify({ serversCpuCores: (c.user + c.system) / 1000 / (performance.now() - t0) }) + '\n');
  process.exit(0);
});
