/**
 * TEST HELPER ONLY: a loopback port whose connects hang (for connect timeouts). A helper process
 * listens with a backlog of one and never accepts; once its queue is full the kernel drops further
 * SYNs, so a connect neither succeeds nor fails until the proxy's connect timeout. Loopback only;
 * the helper is killed by its pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const SCRIPT = `
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
time.sleep(60)
`;

export interface Blackhole {
  readonly port: number;
  close(): void;
}

export function haveBlackhole(): boolean {
  return spawnSync('python3', ['-c', 'pass']).status === 0;
}

export async function blackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn('python3', ['-c', SCRIPT], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('blackhole helper did not start')), 5000);
    child.stdout?.once('data', (d: Buffer) => {
      clearTimeout(t);
      resolve(Number(d.toString().trim()));
    });
  });
  // fill the accept queue so that later SYNs are dropped
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    close: () => {
      for (const s of fillers) s.destroy();
      if (child.pid !== undefined) child.kill('SIGKILL');
    },
  };
}
