// Property: the keepalived builder and loader never throw, on arbitrary statement trees made of
// real and made-up keywords and on arbitrary text, and every diagnostic points inside the file.
// Replay a failure with HALO_SEED=<seed printed by fast-check>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ConfNode, Word } from '../tree.js';
import { memorySource } from '../glob.js';
import { allBlocks } from './schema.js';
import { buildKeepalivedModel } from './build.js';
import { validateKeepalivedModel } from './validate.js';
import { loadKeepalivedConfig } from './load.js';

const seedEnv = process.env['HALO_SEED'];
const params = { numRuns: 300, ...(seedEnv !== undefined ? { seed: Number(seedEnv) } : {}) };

const KEYWORDS = [...new Set(allBlocks().flatMap((b) => Object.keys(b.keywords)))].sort();
const VALUES = ['1', '0', '-1', '255', '256', '1.5', 'on', 'off', 'MASTER', 'backup', '192.0.2.1', '192.0.2.1/24', 'fe80::1', '::', 'eth0',
  'weight', '-20', 'reverse', 'dev', 'label', 'no_track', 'TUN', 'type', 'gue', 'port', 'fwmark', 'group', 'inet6', '', '{', '\u00e9'];

const wordArb = fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 8 }));
const mkWord = (text: string, line: number): Word => ({ text, quoted: false, pos: { file: '/p.conf', line, col: 1 }, includeChain: [] });

const nodeArb: fc.Memo<ConfNode> = fc.memo((depth) =>
  fc.record({
    kw: fc.oneof(fc.constantFrom(...KEYWORDS), fc.constantFrom(...VALUES)),
    args: fc.array(wordArb, { maxLength: 5 }),
    block: depth <= 1 ? fc.constant(null) : fc.option(fc.array(nodeArb(depth - 1), { maxLength: 6 }), { nil: null }),
    line: fc.integer({ min: 1, max: 500 }),
  }).map(({ kw, args, block, line }) => ({ keyword: mkWord(kw, line), args: args.map((a) => mkWord(a, line)), block })),
);

test('the builder never throws on arbitrary trees and its model is plain JSON', () => {
  fc.assert(fc.property(fc.array(nodeArb(4), { maxLength: 8 }), (nodes) => {
    const r = buildKeepalivedModel(nodes);
    const checks = validateKeepalivedModel(r.model);
    assert.deepEqual(JSON.parse(JSON.stringify(r.model)), r.model);
    for (const d of [...r.diagnostics, ...checks]) assert.match(d.code, /^HALO_CFG_/);
  }), params);
});

const tokenArb = fc.oneof(fc.constantFrom(...KEYWORDS, ...VALUES, '{', '}', '\n', ' ', '"', '#', '!', '$X=1', '@lb1', 'include x'), fc.string({ maxLength: 6 }));

test('the loader never throws on arbitrary config text and every diagnostic is inside the file', () => {
  fc.assert(fc.property(fc.array(tokenArb, { maxLength: 80 }), (tokens) => {
    const text = tokens.join(' ');
    const r = loadKeepalivedConfig('/etc/keepalived/keepalived.conf', memorySource({ '/etc/keepalived/keepalived.conf': text }), { configId: 'lb1' });
    const lines = text.split('\n');
    for (const d of r.diagnostics) {
      if (d.pos === undefined) continue;
      assert.equal(d.pos.file, '/etc/keepalived/keepalived.conf');
      assert.ok(d.pos.line >= 1 && d.pos.line <= lines.length, `line ${d.pos.line} of ${lines.length}`);
      assert.ok(d.pos.col >= 1 && d.pos.col <= (lines[d.pos.line - 1]?.length ?? 0) + 1, `col ${d.pos.col}`);
    }
  }), params);
});
