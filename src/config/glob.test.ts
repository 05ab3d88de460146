import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandBraces, globFiles, memorySource, segmentRegExp, type DirLister } from './glob.js';

test('brace expansion is csh style, nested, in order', () => {
  assert.deepEqual(expandBraces('a{b,c}d'), ['abd', 'acd']);
  assert.deepEqual(expandBraces('{foo/{,cat,dog},bar}'), ['foo/', 'foo/cat', 'foo/dog', 'bar']);
  assert.deepEqual(expandBraces('x{1,2}{a,b}'), ['x1a', 'x1b', 'x2a', 'x2b']);
  assert.deepEqual(expandBraces('{single}'), ['{single}']);
  assert.deepEqual(expandBraces('{open,'), ['{open,']);
  assert.equal(expandBraces('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}', 100).length <= 100, true);
});

test('segment patterns: * ? [..] [!..] and escapes', () => {
  const m = (p: string, s: string): boolean => segmentRegExp(p).test(s);
  assert.ok(m('*.conf', 'a.conf') && !m('*.conf', 'a.conf.bak'));
  assert.ok(m('?.c', 'x.c') && !m('?.c', 'xy.c'));
  assert.ok(m('[ab]1', 'b1') && !m('[ab]1', 'c1'));
  assert.ok(m('[!ab]1', 'c1') && !m('[!ab]1', 'a1'));
  assert.ok(m('a.b(c)', 'a.b(c)') && !m('a.b', 'axb'));
  assert.ok(m('\\*', '*') && !m('\\*', 'x'));
});

const files = {
  '/k/keepalived.conf': '',
  '/k/conf.d/b.conf': '',
  '/k/conf.d/a.conf': '',
  '/k/conf.d/.hidden.conf': '',
  '/k/conf.d/sub/c.conf': '',
  '/k/vs/one.conf': '',
  '/k/rs/two.conf': '',
};

test('globs list existing files, sorted per brace alternative, never directories or hidden files', () => {
  const src = memorySource(files);
  assert.deepEqual(src.glob('/k/conf.d/*.conf'), ['/k/conf.d/a.conf', '/k/conf.d/b.conf']);
  assert.deepEqual(src.glob('/k/conf.d/*'), ['/k/conf.d/a.conf', '/k/conf.d/b.conf']);
  assert.deepEqual(src.glob('/k/conf.d/.*'), ['/k/conf.d/.hidden.conf']);
  assert.deepEqual(src.glob('/k/{vs,rs}/*.conf'), ['/k/vs/one.conf', '/k/rs/two.conf']);
  assert.deepEqual(src.glob('/k/*/*.conf'), ['/k/conf.d/a.conf', '/k/conf.d/b.conf', '/k/rs/two.conf', '/k/vs/one.conf']);
  assert.deepEqual(src.glob('/k/conf.d/{a,a,b}.conf'), ['/k/conf.d/a.conf', '/k/conf.d/b.conf']);
  assert.deepEqual(src.glob('/nothing/*'), []);
  assert.deepEqual(src.glob('relative/*'), []);
});

test('globFiles walks only through directories the lister knows', () => {
  const seen: string[] = [];
  const list: DirLister = (dir) => {
    seen.push(dir);
    return dir === '/' ? [{ name: 'etc', dir: true }] : dir === '/etc' ? [{ name: 'x.conf', dir: false }, { name: 'y', dir: true }] : null;
  };
  assert.deepEqual(globFiles('/etc/*.conf', list), ['/etc/x.conf']);
  assert.deepEqual(seen, ['/', '/etc']);
});

test('memorySource reads files and reports missing ones', () => {
  const src = memorySource({ '/a': 'text' });
  assert.deepEqual(src.readFile('/a'), { ok: true, text: 'text' });
  const miss = src.readFile('/b');
  assert.equal(miss.ok, false);
  assert.equal(!miss.ok && miss.missing, true);
});

test('an invalid class range is matched literally instead of throwing', () => {
  assert.ok(segmentRegExp('[z-a].conf').test('[z-a].conf'));
  assert.deepEqual(memorySource({ '/k/a.conf': '' }).glob('/k/[z-a].conf'), []);
});
