// The failover bench's client, run inside the client namespace: starts one HTTP GET (a new TCP
// connection each) every INTERVAL_MS to the VIP, each bounded by TIMEOUT_MS, at most IN_FLIGHT at
// once, and prints one JSON line per request: {s: start ms, e: end ms, ok, b: body | err}.
// Wall-clock milliseconds with a fraction (performance.timeOrigin + performance.now()), the clock
// the bench reads on the same machine.
// Stops on a `stop` line or the end of stdin, after MAX_COUNT requests or after DURATION_MS,
// waits for the requests in flight, and exits.
// Usage: node client.js HOST PORT INTERVAL_MS TIMEOUT_MS DURATION_MS [MAX_COUNT=100000] [IN_FLIGHT=64]
import { get } from 'node:http';
import { createInterface } from 'node:readline';

const [host = '127.0.0.1', portArg = '8080', intervalArg = '10', timeoutArg = '300', durationArg = '10000', maxArg = '100000', inFlightArg = '64'] = process.argv.slice(2);
const intervalMs = Number(intervalArg);
const timeoutMs = Number(timeoutArg);
const durationMs = Number(durationArg);
const countMax = Number(maxArg);
const inFlightMax = Number(inFlightArg);

let started = 0;
let inFlight = 0;
let stopping = false;
const t0 = Date.now();
const wallMs = (): number => Math.round((performance.timeOrigin + performance.now()) * 10) / 10;

function once(): void {
  started += 1;
  inFlight += 1;
  const s = wallMs();
  let done = false;
  const finish = (ok: boolean, b: string): void => {
    if (done) return;
    done = true;
    inFlight -= 1;
    process.stdout.write(JSON.stringify({ s, e: wallMs(), ok, b }) + '\n');
    if (stopping && inFlight === 0) process.exit(0);
  };
  const req = get({ host, port: Number(portArg), path: '/', agent: false, timeout: timeoutMs }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      if (body.length < 256) body += d;
    });
    res.on('end', () => finish(res.statusCode === 200, body));
    res.on('error', (err) => finish(false, err.message));
  });
  req.on('timeout', () => {
    req.destroy(new Error('timeout'));
  });
  req.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  if (inFlight === 0) process.exit(0);
}

const tick = setInterval(() => {
  if (started >= countMax || Date.now() - t0 >= durationMs) return stop();
  if (inFlight < inFlightMax) once();
}, intervalMs);

createInterface({ input: process.stdin })
  .on('line', (l) => {
    if (l.trim() === 'stop') stop();
  })
  .on('close', stop);
