import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileSignal, parseTrackFileValue } from './file.js';

test('reads the leading integer like strtol, 0 otherwise, clamped to 32 bits', () => {
  assert.equal(parseTrackFileValue('42\n').value, 42);
  assert.equal(parseTrackFileValue('  -7 trailing').value, -7);
  assert.equal(parseTrackFileValue('+3').value, 3);
  assert.equal(parseTrackFileValue('abc').value, 0);
  assert.match(parseTrackFileValue('abc').note ?? '', /no number/);
  assert.equal(parseTrackFileValue('99999999999').value, 2147483647);
  assert.equal(parseTrackFileValue('').value, 0);
});

test('a missing or unreadable file reads as 0 and says so', () => {
  const m = fileSignal('tf', '/x', { kind: 'missing' });
  assert.equal(m.kind === 'file' && m.value, 0);
  assert.match(m.cause, /missing/);
  const u = fileSignal('tf', '/x', { kind: 'unreadable', error: 'EACCES' });
  assert.match(u.cause, /EACCES/);
  const t = fileSignal('tf', '/x', { kind: 'text', text: '-20\n' });
  assert.equal(t.kind === 'file' && t.value, -20);
});
