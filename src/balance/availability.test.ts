import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAvailable } from './availability.js';

test('available = health not down and admin ready; drain and maint take no new picks', () => {
  assert.equal(isAvailable({ health: 'up', admin: 'ready' }), true);
  assert.equal(isAvailable({ health: 'unknown', admin: 'ready' }), true);
  assert.equal(isAvailable({ health: 'down', admin: 'ready' }), false);
  assert.equal(isAvailable({ health: 'up', admin: 'drain' }), false);
  assert.equal(isAvailable({ health: 'up', admin: 'maint' }), false);
});
