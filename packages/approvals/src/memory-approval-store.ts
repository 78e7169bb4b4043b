import { applyReview } from './apply-review.js';
import { ApprovalError } from './approval-error.js';
import type { ApprovalRequest, ApprovalState, Grant, VerifiedReview } from './approval-model.js';
import { approvalStatus } from './approval-model.js';
import type { ApprovalListFilter, ApprovalStore, WaitOptions } from './approval-store.js';
import { consumeOnceGrant, usableGrant } from './grant.js';
import { expireIfDue } from './request-expiry.js';
import { REVIEW_SKEW_SECONDS } from './review-limits.js';

/** Options of `createMemoryApprovalStore`. */
export interface MemoryApprovalStoreOptions {
  /** The store's clock (expiry, deadlines, grant use); default the system clock. */
  readonly now?: () => Date;
  /**
   * Called with every state the store commits (a new request, a review, an outcome, an expiry, a consumed grant) and
   * the state it replaces, before the operation resolves: where a durable store writes its journal. When it rejects,
   * the change is undone (unless another change followed it) and the operation throws `store_unavailable`: nothing
   * is answered that is not written.
   */
  readonly onChange?: (state: ApprovalState, previous: ApprovalState | undefined) => void | Promise<void>;
}

/** The in-process store: an `ApprovalStore` plus `restore` for a durable store that wraps it. */
export interface MemoryApprovalStore extends ApprovalStore {
  /**
   * Loads states read back from a journal (the latest revision of each request), in order of creation, replacing a
   * state of the same request_id; the jtis of their reviews are remembered as used. `onChange` is not called.
   */
  restore(states: Iterable<ApprovalState>): void;
}

/**
 * An `ApprovalStore` in this process's memory. Each change is one synchronous read-check-write of a state (between
 * two awaits nothing else runs), so the compare-and-set on `revision` cannot lose a race here; the revision still
 * grows by one at each change, so a journal written from `onChange` orders the states.
 */
export function createMemoryApprovalStore(options: MemoryApprovalStoreOptions = {}): MemoryApprovalStore {
  const now = options.now ?? (() => new Date());
  const states = new Map<string, ApprovalState>();
  const usedJtis = new Map<string, number>(); // jti → instant (ms) after which its review can no longer verify
  const waiters = new Map<string, Set<(state: ApprovalState | ApprovalError) => void>>();
  let closed = false;

  const open = () => {
    if (closed) throw new ApprovalError('store_unavailable', 'the approval store is closed');
  };

  const commit = async (previous: ApprovalState | undefined, next: ApprovalState): Promise<void> => {
    const frozen = freezeDeep(next);
    states.set(next.request.request_id, frozen);
    try {
      await options.onChange?.(frozen, previous);
    } catch {
      if (states.get(next.request.request_id) === frozen) {
        if (previous) states.set(next.request.request_id, previous);
        else states.delete(next.request.request_id);
      }
      throw new ApprovalError('store_unavailable', 'the approval store could not record the change');
    }
    if (frozen.outcome) for (const wake of waiters.get(next.request.request_id) ?? []) wake(frozen);
  };

  /** The state with its expiry applied (and committed), or undefined. */
  const current = async (requestId: string): Promise<ApprovalState | undefined> => {
    open();
    const state = states.get(requestId);
    if (!state) return undefined;
    const next = expireIfDue(state, now());
    if (next !== state) await commit(state, next);
    return next;
  };

  const rememberJti = (jti: string, exp: number) => {
    const nowMs = now().getTime();
    for (const [seen, until] of usedJtis) if (until < nowMs) usedJtis.delete(seen);
    usedJtis.set(jti, (exp + REVIEW_SKEW_SECONDS) * 1000);
  };

  return {
    async create(request: ApprovalRequest) {
      open();
      if (states.has(request.request_id)) return 'exists';
      await commit(undefined, { request: structuredClone(request), reviews: [], revision: 0 });
      return 'created';
    },

    get: current,

    async list(filter: ApprovalListFilter = {}) {
      const found: ApprovalState[] = [];
      for (const requestId of [...states.keys()]) {
        const state = await current(requestId);
        if (!state) continue;
        if (filter.group !== undefined && state.request.approver_group !== filter.group) continue;
        if (filter.status !== undefined && approvalStatus(state) !== filter.status) continue;
        found.push(state);
      }
      return found;
    },

    async review(requestId: string, review: VerifiedReview, at: Date) {
      open();
      const state = states.get(requestId);
      if (!state) throw new ApprovalError('unknown_request');
      if ((usedJtis.get(review.jti) ?? 0) >= now().getTime()) throw new ApprovalError('replayed_review');
      rememberJti(review.jti, review.exp);
      const { state: next, refused } = applyReview(state, structuredClone(review), at);
      if (next !== state) await commit(state, next);
      if (refused) throw refused;
      return next;
    },

    async seenJti(jti: string) {
      open();
      return (usedJtis.get(jti) ?? 0) >= now().getTime();
    },

    async waitForOutcome(requestId: string, { deadline, signal }: WaitOptions) {
      const state = await current(requestId);
      if (!state) throw new ApprovalError('unknown_request');
      if (state.outcome) return state;
      signal?.throwIfAborted();
      return new Promise<ApprovalState>((resolve, reject) => {
        const wakers = waiters.get(requestId) ?? new Set();
        waiters.set(requestId, wakers);
        const timers: NodeJS.Timeout[] = [];
        const finish = (result: ApprovalState | ApprovalError | Promise<ApprovalState | undefined>) => {
          for (const timer of timers) clearTimeout(timer);
          wakers.delete(wake);
          if (wakers.size === 0) waiters.delete(requestId);
          signal?.removeEventListener('abort', abort);
          if (result instanceof ApprovalError) reject(result);
          else Promise.resolve(result).then((value) => resolve(value ?? state), reject);
        };
        const wake = (result: ApprovalState | ApprovalError) => finish(result);
        const abort = () => finish(Promise.reject(signal?.reason));
        wakers.add(wake);
        signal?.addEventListener('abort', abort, { once: true });
        // At expiry the request gets its outcome (the read commits it and wakes every waiter, this one included).
        const untilExpiry = Date.parse(state.request.expires_at) - now().getTime();
        if (untilExpiry < deadline.getTime() - now().getTime())
          timers.push(setTimeout(() => current(requestId).catch(() => {}), delay(untilExpiry)));
        timers.push(
          setTimeout(() => finish(current(requestId)), delay(deadline.getTime() - now().getTime())),
        );
      });
    },

    async findGrant(fingerprint: string, sessionId: string, at: Date) {
      open();
      let once: Grant | undefined;
      for (const state of states.values()) {
        const grant = usableGrant(state, { fingerprint, session_id: sessionId, now: at });
        if (grant && grant.scope !== 'once') return grant;
        once ??= grant;
      }
      return once;
    },

    async consumeGrant(requestId: string, decisionId: string) {
      const state = await current(requestId);
      const grant = state?.outcome?.grant;
      if (!state || !grant) return false;
      const at = now();
      if (grant.scope !== 'once') return at.getTime() < Date.parse(grant.expires_at);
      if (grant.consumed_by !== undefined) return grant.consumed_by === decisionId;
      const next = consumeOnceGrant(state, decisionId, at);
      if (!next) return false;
      await commit(state, next);
      return true;
    },

    async close() {
      closed = true;
      for (const wakers of waiters.values())
        for (const wake of wakers)
          wake(new ApprovalError('store_unavailable', 'the approval store is closed'));
    },

    restore(restored: Iterable<ApprovalState>) {
      open();
      for (const state of restored) {
        const copy = freezeDeep(structuredClone(state));
        states.delete(copy.request.request_id); // keeps the order of creation the journal gives
        states.set(copy.request.request_id, copy);
        for (const review of copy.reviews) rememberJti(review.jti, review.exp);
      }
    },
  };
}

// Timers hold at most 2^31 - 1 ms; a longer wait is cut there (the deadline then resolves early with the state).
function delay(ms: number): number {
  return Math.min(Math.max(ms, 0), 2_147_483_647);
}

/** States are shared with callers: frozen, so no caller can change what the store holds. */
function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) freezeDeep(field);
  }
  return value;
}
