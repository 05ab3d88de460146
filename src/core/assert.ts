import { HaloError } from './errors/index.js';

/** Fails loudly when an internal invariant does not hold. Never used for input validation. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new HaloError('HALO_GEN_ASSERTION', `Assertion failed: ${message}`);
}

export function assertNever(value: never, message = 'unexpected value'): never {
  throw new HaloError('HALO_GEN_ASSERTION', `Assertion failed: ${message}: ${JSON.stringify(value)}`);
}
