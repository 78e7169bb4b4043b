import { applyReview } from './apply-review.js';
import { ApprovalError } from './approval-error.js';
import type { ApprovalRequest, ApprovalState, Grant, VerifiedReview } from './approval-model.js';
import { approvalStatus } from './approval-model.js';
import type { ApprovalListFilter, ApprovalStore, WaitOptions } from './approval-store.js';
import { usableGrant, useGrant } from './grant.js';
import { expireIfDue } from './request-expiry.js';
import { REVIEW_SKEW_SECONDS } from './review-limits.js';

/** Options of `createMemoryApprovalStore`. */
export interface MemoryApprovalStoreOptions {
  /** The store's clock (expiry, deadlines, grant use); default the system clock. */
  readonly now?: () => Date;
  /**
   * Called with every state the store commits (a new request, a review, an outcome, an expiry, a consumed grant) and
   * the state it replaces, before the operation resolves: where a durable store writes its journal. When it rejects,
   * the change is undone (unless another change followed it) and the operation throws `store_unavailable`. Reads
   * (`get`, `list`, `findGrant`, `waitForOutcome`) answer confirmed states only: nothing is answered that is not
   * written.
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
 * An `ApprovalStore` in this process's memory. Every change is a compare-and-set of a request's state, retried from
 * the new state when another change came first (a change waits for `onChange`, so two operations interleave); the
 * revision grows by one at each change, so a journal written from `onChange` orders the states.
 */
export function createMemoryApprovalStore(options: MemoryApprovalStoreOptions = {}): MemoryApprovalStore {
  const now = options.now ?? (() => new Date());
  // The latest state of each request (what a change compares and sets), and the latest one `onChange` confirmed
  // (what reads answer): no reader is ever answered a state, such as an approval, that was not written.
  const states = new Map<string, ApprovalState>();
  const confirmed = new Map<string, ApprovalState>();
  const usedJtis = new Map<string, number>(); // jti → instant (ms) after which its review can no longer verify
  const waiters = new Map<string, Set<(state: ApprovalState | ApprovalError) => void>>();
  let closed = false;

  const open = () => {
    if (closed) throw new ApprovalError('store_unavailable', 'the approval store is closed');
  };

  /**
   * Compare-and-set: stores `next` only if the state is still `previous` (false otherwise: read again and retry),
   * then waits for `onChange`, undoing the change if it fails.
   */
  const commit = async (previous: ApprovalState | undefined, next: ApprovalState): Promise<boolean> => {
    const requestId = next.request.request_id;
    if (states.get(requestId) !== previous) return false;
    const frozen = freezeDeep(next);
    states.set(requestId, frozen);
    try {
      await options.onChange?.(frozen, previous);
    } catch {
      if (states.get(requestId) === frozen) {
        if (previous) states.set(requestId, previous);
        else states.delete(requestId);
      }
      throw new ApprovalError('store_unavailable', 'the approval store could not record the change');
    }
    // Two changes of one request may confirm out of order; the later revision holds the earlier one's change.
    if ((confirmed.get(requestId)?.revision ?? -1) < frozen.revision) confirmed.set(requestId, frozen);
    const latest = confirmed.get(requestId);
    if (latest?.outcome) for (const wake of waiters.get(requestId) ?? []) wake(latest);
    return true;
  };

  /**
   * Reads a request's state (its expiry applied), lets `change` decide the next state and the answer, and commits
   * it, again from the new state when another change won the race; undefined when there is no such request.
   */
  const update = async <T>(
    requestId: string,
    change: (state: ApprovalState) => { readonly next?: ApprovalState; readonly answer: T },
  ): Promise<{ answer: T } | undefined> => {
    for (;;) {
      open();
      const stored = states.get(requestId);
      if (!stored) return undefined;
      const state = expireIfDue(stored, now());
      const { next = state, answer } = change(state);
      if (next === stored || (await commit(stored, next))) return { answer };
    }
  };

  /** The confirmed state, once a due expiry is committed. */
  const current = async (requestId: string): Promise<ApprovalState | undefined> => {
    await update(requestId, (state) => ({ answer: state }));
    return confirmed.get(requestId);
  };

  const rememberJti = (jti: string, exp: number) => {
    const nowMs = now().getTime();
    for (const [seen, until] of usedJtis) if (until < nowMs) usedJtis.delete(seen);
    usedJtis.set(jti, (exp + REVIEW_SKEW_SECONDS) * 1000);
  };

  return {
    async create(request: ApprovalRequest) {
      open();
      const created = await commit(undefined, {
        request: structuredClone(request),
        reviews: [],
        revision: 0,
      });
      return created ? 'created' : 'exists';
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
      if (!confirmed.has(requestId)) throw new ApprovalError('unknown_request');
      if ((usedJtis.get(review.jti) ?? 0) >= now().getTime()) throw new ApprovalError('replayed_review');
      rememberJti(review.jti, review.exp);
      const copy = structuredClone(review);
      const result = await update(requestId, (state) => {
        const applied = applyReview(state, copy, at);
        return { next: applied.state, answer: applied };
      });
      if (!result) throw new ApprovalError('unknown_request');
      if (result.answer.refused) throw result.answer.refused;
      return result.answer.state;
    },

    async seenJti(jti: string) {
      open();
      return (usedJtis.get(jti) ?? 0) >= now().getTime();
    },

    async waitForOutcome(requestId: string, { deadline, signal }: WaitOptions) {
      open();
      signal?.throwIfAborted();
      const stored = confirmed.get(requestId);
      if (!stored) throw new ApprovalError('unknown_request');
      return new Promise<ApprovalState>((resolve, reject) => {
        const wakers = waiters.get(requestId) ?? new Set();
        waiters.set(requestId, wakers);
        const timers: NodeJS.Timeout[] = [];
        let done = false;
        const finish = (settle: () => void) => {
          if (done) return;
          done = true;
          for (const timer of timers) clearTimeout(timer);
          wakers.delete(wake);
          if (wakers.size === 0) waiters.delete(requestId);
          signal?.removeEventListener('abort', abort);
          settle();
        };
        const wake = (result: ApprovalState | ApprovalError) =>
          finish(() => (result instanceof ApprovalError ? reject(result) : resolve(result)));
        const abort = () => finish(() => reject(signal?.reason));
        const failed = (error: unknown) =>
          wake(error instanceof ApprovalError ? error : new ApprovalError('store_unavailable'));
        // Registered before reading, so an outcome committed meanwhile wakes it; the read expires a due request and
        // answers an outcome that was there before.
        wakers.add(wake);
        signal?.addEventListener('abort', abort, { once: true });
        const read = () =>
          current(requestId).then((state) => (state?.outcome ? wake(state) : undefined), failed);
        void read();
        // A timer may fire up to a millisecond before the clock reads its time (libuv counts whole milliseconds), so
        // a read at expiry that finds the request not yet due waits again for the rest.
        const atExpiry = () =>
          current(requestId).then((state) => (state?.outcome ? wake(state) : armExpiry()), failed);
        const armExpiry = () => {
          if (done) return;
          const untilExpiry = Date.parse(stored.request.expires_at) - now().getTime();
          if (untilExpiry < deadline.getTime() - now().getTime())
            timers.push(setTimeout(atExpiry, delay(Math.max(untilExpiry, 1))));
        };
        armExpiry();
        const untilDeadline = deadline.getTime() - now().getTime();
        timers.push(
          setTimeout(
            () => current(requestId).then((state) => wake(state ?? stored), failed),
            delay(untilDeadline),
          ),
        );
      });
    },

    async findGrant(fingerprint: string, sessionId: string, at: Date) {
      open();
      let once: Grant | undefined;
      for (const state of confirmed.values()) {
        const grant = usableGrant(state, { fingerprint, session_id: sessionId, now: at });
        if (grant && grant.scope !== 'once') return grant;
        once ??= grant;
      }
      return once;
    },

    async consumeGrant(requestId: string, decisionId: string) {
      const at = now();
      const result = await update(requestId, (state) => useGrant(state, decisionId, at));
      return result?.answer ?? false;
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
        for (const map of [states, confirmed]) {
          map.delete(copy.request.request_id); // keeps the order of creation the journal gives
          map.set(copy.request.request_id, copy);
        }
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
