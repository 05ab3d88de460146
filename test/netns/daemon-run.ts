// Shared by the `halo run` netns tests: a director's config, a `halo run` process in a namespace
// with its log lines kept (bounded), and a bounded wait.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetnsLab, NetnsNode } from './harness.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const PORT = 8080;

export interface Halo {
  readonly node: NetnsNode;
  readonly child: ChildProcess;
  readonly dir: string;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

/**
 * One `vrrp_instance VI_1` as the netns tests write it: PASS auth, advert_int 1, state from the
 * priority, each VIP a /24. `head` goes first inside the block, `tail` last.
 */
export function vrrpInstance(vrid: number, priority: number, vips: readonly string[], parts: { head?: string; tail?: string } = {}): string {
  return `vrrp_instance VI_1 {${parts.head ?? ''}
    state ${priority === 100 ? 'MASTER' : 'BACKUP'}
    interface eth0
    virtual_router_id ${vrid}
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass halo
    }
    virtual_ipaddress {
${vips.map((v) => `        ${v}/24`).join('\n')}
    }${parts.tail ?? ''}
}
`;
}

export function conf(vrid: number, priority: number, vip: string, extra = ''): string {
  return vrrpInstance(vrid, priority, [vip], { head: extra });
}

export function startHalo(lab: NetnsLab, node: NetnsNode, config: string): Halo {
  const dir = mkdtempSync(join(tmpdir(), `${node.ns}-halo-`));
  lab.cleanupDir(dir);
  writeFileSync(join(dir, 'keepalived.conf'), config);
  const child = node.spawn([process.execPath, MAIN, 'run', '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'halo.pid'), '-r', join(dir, 'vrrp.pid'), '--status-file', join(dir, 'status.json')]);
  return watchHalo(node, child, dir);
}

/** A running `halo run` child: its stderr kept line by line (at most 5000 lines) and its exit. */
export function watchHalo(node: NetnsNode, child: ChildProcess, dir: string): Halo {
  const lines: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (lines.length < 5000) lines.push(l);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { node, child, dir, lines, exited };
}

export async function until(what: string, check: () => boolean, timeoutMs: number, logs?: Halo[]): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms${logs ? '\n' + logs.map((h) => `--- ${h.node.name}\n${h.lines.join('\n')}`).join('\n') : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}
