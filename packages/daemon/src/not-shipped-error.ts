/**
 * A decision of a daemon in `ship_mode: sync` whose record the fleet stream did not acknowledge in time: recorded,
 * but not answered as a decision (the client fails closed). Its own module: the daemon checks for it without loading
 * fleet mode.
 */
export class NotShippedError extends Error {
  override readonly name = 'NotShippedError';
}
