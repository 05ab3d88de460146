import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stableStringify } from './stable-json.js';

test('keys are sorted at every level, arrays keep their order', () => {
  const a = stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, 0);
  assert.equal(a, '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(stableStringify({ y: 1, x: 2 }), stableStringify({ x: 2, y: 1 }));
});

test('maps, sets, undefined members, bigints and toJSON', () => {
  const v = { m: new Map([['k2', 1], ['k1', 2]]), s: new Set(['b', 'a']), u: undefined, n: 10n, d: { toJSON: () => ({ q: 1, p: 2 }) } };
  assert.equal(stableStringify(v, 0), '{"d":{"p":2,"q":1},"m":{"k1":2,"k2":1},"n":"10","s":["b","a"]}');
  assert.equal(stableStringify(undefined), 'null');
});

test('runaway nesting is cut, not a stack overflow', () => {
  const deep: Record<string, unknown> = {};
  let cur = deep;
  for (let i = 0; i < 1000; i++) {
    const next: Record<string, unknown> = {};
    cur['n'] = next;
    cur = next;
  }
  assert.match(stableStringify(deep, 0), /"\[too deep\]"/);
});
