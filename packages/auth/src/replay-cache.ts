import { hash } from 'node:crypto';
import { RunnerAuthError } from './runner-auth-error.js';

/**
 * The cache's key for an HMAC signature: SHA-256 of the key id and the HMAC bytes (not the text), base64url. Neither
 * the cache nor the evidence that records it ever holds a usable signature.
 */
export function replayKey(keyId: string, mac: Uint8Array): string {
  return hash('sha256', Buffer.concat([Buffer.from(`${keyId}\n`, 'utf8'), mac]), 'base64url');
}

/**
 * Signatures seen within their validity window. Bounded: expired entries are dropped first; if the cache is
 * still full of live entries, the request is refused (`replay_cache_full`) rather than forgetting a live
 * signature, which would let its replay through. Size it for your peak of signed requests per TTL window.
 */
export class ReplayCache {
  readonly maxEntries: number;
  readonly #expiries = new Map<string, number>();
  // Earliest expiry held: while it is still live, a full cache has nothing to sweep, so a flood of requests
  // against a full cache costs one comparison each instead of a scan of every entry.
  #earliest = Number.POSITIVE_INFINITY;

  /** `maxEntries`: most live signatures remembered, default 100 000. */
  constructor(options: { readonly maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new TypeError('maxEntries must be a positive integer');
  }

  /** Records `key` until `expiresAtMs`; throws `replayed` if it is already live, `replay_cache_full` if no room. */
  remember(key: string, expiresAtMs: number, nowMs: number): void {
    const seen = this.#expiries.get(key);
    if (seen !== undefined && seen >= nowMs)
      throw new RunnerAuthError('replayed', 'this signature was already used');
    if (this.#expiries.size >= this.maxEntries && this.#earliest < nowMs) this.#sweep(nowMs);
    if (this.#expiries.size >= this.maxEntries) {
      throw new RunnerAuthError('replay_cache_full', 'too many live signatures to remember; retry shortly');
    }
    this.#expiries.set(key, expiresAtMs);
    this.#earliest = Math.min(this.#earliest, expiresAtMs);
  }

  /**
   * Restores a signature remembered before (by an earlier process, from its evidence): an expired one is skipped, one
   * already held keeps the later expiry. Throws `replay_cache_full` rather than forget a live signature.
   */
  restore(key: string, expiresAtMs: number, nowMs: number): void {
    if (expiresAtMs < nowMs) return;
    const seen = this.#expiries.get(key);
    if (seen === undefined && this.#expiries.size >= this.maxEntries) {
      this.#sweep(nowMs);
      if (this.#expiries.size >= this.maxEntries) {
        throw new RunnerAuthError(
          'replay_cache_full',
          `more than ${this.maxEntries} live signatures to restore; raise the cache size`,
        );
      }
    }
    this.#expiries.set(key, Math.max(seen ?? expiresAtMs, expiresAtMs));
    this.#earliest = Math.min(this.#earliest, expiresAtMs);
  }

  /** Entries held, live or not yet swept. */
  get size(): number {
    return this.#expiries.size;
  }

  #sweep(nowMs: number): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const [key, expiry] of this.#expiries) {
      if (expiry < nowMs) this.#expiries.delete(key);
      else earliest = Math.min(earliest, expiry);
    }
    this.#earliest = earliest;
  }
}
