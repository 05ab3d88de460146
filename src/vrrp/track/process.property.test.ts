import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { processMatches } from './process.js';
import type { ProcessInfo, ProcessTrackerConfig } from './process.js';

const seed = process.env.HALO_SEED ? Number(process.env.HALO_SEED) : undefined;
const params = seed === undefined ? {} : { seed };

const word = fc.stringMatching(/^[a-z0-9./-]{1,8}$/);
const cfg = (p: string[], paramMatch?: 'exact' | 'partial' | 'initial'): ProcessTrackerConfig => ({ name: 't', process: p, fullCommand: false, quorum: 1, forkDelayMs: 0, terminateDelayMs: 0, ...(paramMatch ? { paramMatch } : {}) });

test('property: name-only matching is exact equality of the process name (no pattern, no prefix)', () => {
  fc.assert(fc.property(word, word, fc.array(word, { maxLength: 3 }), (name, comm, args) => {
    const p: ProcessInfo = { pid: 1, comm, argv: [comm, ...args], state: 'S' };
    assert.equal(processMatches(cfg([name]), p), name === comm);
  }), params);
});

test('property: exact ⊆ partial ⊆ initial, and zombies never match', () => {
  fc.assert(fc.property(word, fc.array(word, { maxLength: 3 }), fc.array(word, { maxLength: 4 }), (name, want, have) => {
    const p: ProcessInfo = { pid: 1, comm: name, argv: [name, ...have], state: 'S' };
    const exact = processMatches(cfg([name, ...want], 'exact'), p);
    const partial = processMatches(cfg([name, ...want], 'partial'), p);
    const initial = processMatches(cfg([name, ...want], 'initial'), p);
    if (exact) assert.ok(partial);
    if (partial) assert.ok(initial);
    assert.equal(exact, want.length === have.length && want.every((w, i) => have[i] === w));
    assert.equal(processMatches(cfg([name, ...want], 'initial'), { ...p, state: 'Z' }), false);
  }), params);
});
