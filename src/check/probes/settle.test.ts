import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settleOnce, tcpConnectOptions } from './settle.js';

test('the first finish wins; close runs once with its verdict; the timer is cleared', async () => {
  const closes: boolean[] = [];
  let timeouts = 0;
  const out = await settleOnce(300, (finish) => {
    setImmediate(() => {
      finish(true, 'first');
      finish(false, 'second');
    });
    return {
      onTimeout: () => {
        timeouts++;
        finish(false, 'timeout');
      },
      close: (ok) => closes.push(ok),
    };
  });
  assert.equal(out.ok, true);
  assert.equal(out.detail, 'first');
  assert.ok(Number.isInteger(out.durationMs) && out.durationMs >= 0);
  assert.deepEqual(closes, [true]);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(timeouts, 0);
  assert.deepEqual(closes, [true]);
});

test('when nothing happens the timeout decides, then close runs', async () => {
  const closes: boolean[] = [];
  const out = await settleOnce(20, (finish) => ({
    onTimeout: () => finish(false, 'timed out'),
    close: (ok) => closes.push(ok),
  }));
  assert.deepEqual({ ok: out.ok, detail: out.detail }, { ok: false, detail: 'timed out' });
  assert.ok(out.durationMs >= 15);
  assert.deepEqual(closes, [false]);
});

test('a finish during start still closes, and no timer is left behind', async () => {
  const closes: boolean[] = [];
  let timeouts = 0;
  const out = await settleOnce(10, (finish) => {
    finish(false, 'failed at once');
    return {
      onTimeout: () => {
        timeouts++;
      },
      close: (ok) => closes.push(ok),
    };
  });
  assert.equal(out.detail, 'failed at once');
  assert.deepEqual(closes, [false]);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(timeouts, 0);
});

test('bindto and bind_port become local connect options only when set', () => {
  const target = { address: '127.0.0.1', port: 25 };
  assert.deepEqual(tcpConnectOptions(target, {}), { host: '127.0.0.1', port: 25 });
  assert.deepEqual(tcpConnectOptions(target, { bindTo: '127.0.0.2', bindPort: 4000 }), {
    host: '127.0.0.1',
    port: 25,
    localAddress: '127.0.0.2',
    localPort: 4000,
  });
});
