import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileServerNames, findServer, normalizeHost } from './server-names.js';

test('nginx order: exact, longest leading wildcard, longest trailing wildcard, first regex', () => {
  const t = compileServerNames([
    ['~^www\\d+\\.example\\.net$'], // 0
    ['*.example.org'], // 1
    ['*.mail.example.org'], // 2
    ['mail.*'], // 3
    ['mail.example.*'], // 4
    ['www.example.org', 'example.org'], // 5
    ['~^(?<user>.+)\\.example\\.net$'], // 6
    ['.example.com'], // 7
  ]);
  assert.equal(findServer(t, 'www.example.org'), 5, 'exact beats *.example.org');
  assert.equal(findServer(t, 'example.org'), 5);
  assert.equal(findServer(t, 'a.example.org'), 1);
  assert.equal(findServer(t, 'x.mail.example.org'), 2, 'the longest leading wildcard wins');
  assert.equal(findServer(t, 'mail.example.org'), 1, 'a leading wildcard beats a trailing one');
  assert.equal(findServer(t, 'mail.example.com'), 7, '.example.com is a leading wildcard');
  assert.equal(findServer(t, 'example.com'), 7, '.example.com also matches example.com');
  assert.equal(findServer(t, 'mail.example.net'), 4, 'the longest trailing wildcard wins');
  assert.equal(findServer(t, 'mail.foo'), 3);
  assert.equal(findServer(t, 'www7.example.net'), 0, 'the first regex in config order');
  assert.equal(findServer(t, 'bob.example.net'), 6);
  assert.equal(findServer(t, 'other.test'), -1, 'no match: the default server');
});

test('Host is compared without case, port and trailing dot; no Host matches ""', () => {
  assert.equal(normalizeHost('WWW.Example.ORG:8080'), 'www.example.org');
  assert.equal(normalizeHost('example.org.'), 'example.org');
  assert.equal(normalizeHost('[::1]:80'), '[::1]');
  assert.equal(normalizeHost(undefined), '');
  const t = compileServerNames([['a'], ['']]);
  assert.equal(findServer(t, 'A:81'), 0);
  assert.equal(findServer(t, undefined), 1);
  assert.equal(findServer(t, 'b'), -1);
});

test('of two servers with the same name the first keeps it', () => {
  const t = compileServerNames([['x', '*.y'], ['x', '*.y']]);
  assert.equal(findServer(t, 'x'), 0);
  assert.equal(findServer(t, 'a.y'), 0);
});
