/**
 * How a backend's state (health and admin state, kept apart in src/core/backend.ts) becomes the
 * one fact a picker needs: may it take new connections?
 */
import type { BackendState } from '../core/backend.js';

/**
 * Available = not known to be down, and admin state `ready`. `unknown` health counts as up, as
 * nginx starts with every server up and keepalived adds real servers as alive unless `alpha` is
 * set (the checker then reports `down` before the first success). `drain` takes no new picks but
 * keeps its connections (the proxy does not close them); `maint` takes nothing.
 */
export function isAvailable(state: Pick<BackendState, 'health' | 'admin'>): boolean {
  return state.health !== 'down' && state.admin === 'ready';
}
