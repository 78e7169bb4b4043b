import {
  ApprovalError,
  type ApprovalListFilter,
  type ApprovalRequest,
  type ApprovalState,
  type ApprovalStore,
  applyReview,
  approvalStatus,
  checkApprovalState,
  expireIfDue,
  type Grant,
  REVIEW_SKEW_SECONDS,
  usableGrant,
  useGrant,
  type VerifiedReview,
  type WaitOptions,
} from '@cavra/approvals';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import {
  GRANT_KEYS,
  grantKey,
  jtiKey,
  outcomeSubject,
  REQUEST_KEYS,
  requestKey,
  requestKeys,
} from './approval-keys.js';
import { bucketKeys } from './bucket-keys.js';
import { bucket, type Fleet } from './connect-fleet.js';
import { FLEET_BUCKETS } from './fleet-buckets.js';
import { toFleetError } from './nats-failure.js';

/** Options of {@link openFleetApprovalStore}. */
export interface FleetApprovalStoreOptions {
  /** The fleet connection (`connectFleet`); the store uses it and never closes it. */
  readonly fleet: Fleet;
  /** The store's clock (expiry, deadlines, grant use, review ids); default the system clock. */
  readonly now?: () => Date;
}

/** A review id's record under `jti.<jti>`: the instant (ms) after which its review can no longer verify. */
interface UsedJti {
  readonly until_ms: number;
}

/**
 * The fleet's `ApprovalStore`, in the KV bucket `cavra_approvals` (created by `connectFleet` with `createBuckets`),
 * shared by every daemon and approver of the fleet. A request is created once (KV create: first writer wins); a
 * review, an expiry or a grant use is a compare-and-set on the key's revision, retried from the new state when
 * another writer came first, so two racing reviews never give two outcomes. A review's jti is created under
 * `jti.<jti>` (a replay on any machine finds it); an approval first writes its grant to the index
 * `grant.<fingerprint>.<request id>` that a retry of the action reads (the request's state stays the truth: an index
 * entry whose request holds no grant lets nothing through). Every outcome is published to
 * `cavra.approvals.outcome.<request id, base64url>` (best effort). Throws a `FleetError` when the bucket cannot be
 * bound; its methods throw `ApprovalError` (`store_unavailable` for any NATS failure).
 */
export async function openFleetApprovalStore(options: FleetApprovalStoreOptions): Promise<ApprovalStore> {
  const { fleet } = options;
  const now = options.now ?? (() => new Date());
  let kv: KV;
  try {
    kv = await bucket(FLEET_BUCKETS.approvals, async (name) => {
      const bound = await fleet.kvm.open(name);
      await bound.status(); // open() alone does not look: a missing bucket would fail later, less clearly.
      return bound;
    });
  } catch (error) {
    throw toFleetError(error);
  }
  let closed = false;
  const closers = new Set<(error: ApprovalError) => void>();

  /** Runs one operation of the store: every failure that is not a refusal is `store_unavailable`. */
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new ApprovalError('store_unavailable', 'the approval store is closed');
    try {
      return await work();
    } catch (error) {
      throw unavailable(error);
    }
  };

  /** The latest stored state of a request (its highest revision's key), or undefined when there is none. */
  const read = async (requestId: string): Promise<ApprovalState | undefined> => {
    const keys = await bucketKeys(fleet, FLEET_BUCKETS.approvals, requestKeys(requestId));
    const latest = Math.max(-1, ...keys.map(revisionOf));
    if (latest < 0) return undefined;
    const entry = await kv.get(requestKey(requestId, latest));
    return entry?.operation === 'PUT' ? stateOf(entry, requestId, latest) : undefined;
  };

  /**
   * Reads a request's state (its expiry applied), lets `change` decide the next state and the answer, and creates
   * the key of its revision, again from the new state when another writer created it first; undefined when there is
   * no such request. An approval's grant is indexed before the state is written; an outcome is published after.
   */
  const update = async <T>(
    requestId: string,
    change: (state: ApprovalState) => { readonly next?: ApprovalState; readonly answer: T },
  ): Promise<{ answer: T } | undefined> => {
    for (;;) {
      const stored = await read(requestId);
      if (!stored) return undefined;
      const state = expireIfDue(stored, now());
      const { next = state, answer } = change(state);
      if (next === stored) return { answer };
      const decided = next.outcome !== undefined && stored.outcome === undefined;
      const grant = decided ? next.outcome?.grant : undefined;
      if (grant) await kv.put(grantKey(grant.fingerprint, requestId), JSON.stringify(grant));
      // Every change moves the model's revision on by one: the key of the next revision is the compare-and-set.
      if (await createOnce(kv, requestKey(requestId, next.revision), JSON.stringify(next))) {
        if (decided) publishOutcome(fleet, next);
        return { answer };
      }
    }
  };

  const current = async (requestId: string) =>
    (await update(requestId, (state) => ({ answer: state })))?.answer;

  /** Records a review's jti as used, or throws `replayed_review` when it is (another machine's included). */
  const claimJti = async (review: VerifiedReview) => {
    const key = jtiKey(review.jti);
    const value = JSON.stringify({ until_ms: (review.exp + REVIEW_SKEW_SECONDS) * 1000 } satisfies UsedJti);
    if (await createOnce(kv, key, value)) return;
    const entry = await kv.get(key);
    // Past its until_ms (the key stays until the bucket's max_age) a review with this jti no longer verifies, so the
    // key is not taken over: nothing is left to replay.
    if (entry && usedUntil(entry) >= now().getTime()) throw new ApprovalError('replayed_review');
  };

  const seen = async (jti: string) => {
    const entry = await kv.get(jtiKey(jti));
    return entry !== null && usedUntil(entry) >= now().getTime();
  };

  return {
    create: (request: ApprovalRequest) =>
      guarded(async () => {
        const state: ApprovalState = { request, reviews: [], revision: 0 };
        return (await createOnce(kv, requestKey(request.request_id, 0), JSON.stringify(state)))
          ? 'created'
          : 'exists';
      }),

    get: (requestId: string) => guarded(() => current(requestId)),

    list: (filter: ApprovalListFilter = {}) =>
      guarded(async () => {
        const keys = await bucketKeys(fleet, FLEET_BUCKETS.approvals, `${REQUEST_KEYS}.*.*`);
        const ids = new Set(keys.map((key) => idOf(key.slice(0, key.lastIndexOf('.')))));
        const states = await Promise.all([...ids].map((id) => current(id)));
        return states
          .filter((state): state is ApprovalState => state !== undefined)
          .filter(
            (state) =>
              (filter.group === undefined || state.request.approver_group === filter.group) &&
              (filter.status === undefined || approvalStatus(state) === filter.status),
          )
          .sort(byCreation);
      }),

    review: (requestId: string, review: VerifiedReview, at: Date) =>
      guarded(async () => {
        if (!(await read(requestId))) throw new ApprovalError('unknown_request');
        await claimJti(review);
        const result = await update(requestId, (state) => {
          const applied = applyReview(state, review, at);
          return { next: applied.state, answer: applied };
        });
        if (!result) throw new ApprovalError('unknown_request');
        if (result.answer.refused) throw result.answer.refused;
        return result.answer.state;
      }),

    seenJti: (jti: string) => guarded(() => seen(jti)),

    async waitForOutcome(requestId: string, { deadline, signal }: WaitOptions) {
      signal?.throwIfAborted();
      const first = await guarded(() => current(requestId));
      if (!first) throw new ApprovalError('unknown_request');
      if (first.outcome) return first;
      return waitForChange(requestId, first, deadline, signal);
    },

    findGrant: (fingerprint: string, sessionId: string, at: Date) =>
      guarded(async () => {
        // A fingerprint is hex: anything else could widen the key filter, and matches no request anyway.
        if (!/^[0-9a-f]{64}$/.test(fingerprint)) return undefined;
        const keys = await bucketKeys(fleet, FLEET_BUCKETS.approvals, `${GRANT_KEYS}.${fingerprint}.*`);
        const use = { fingerprint, session_id: sessionId, now: at };
        const found = await Promise.all(
          keys.map(async (key) => {
            const state = await read(idOf(key)).catch(ignoreMalformed);
            return state && usableGrant(state, use);
          }),
        );
        const grants = found.filter((grant): grant is Grant => grant !== undefined);
        return grants.find((grant) => grant.scope !== 'once') ?? grants[0];
      }),

    consumeGrant: (requestId: string, decisionId: string) =>
      guarded(async () => {
        const at = now();
        const result = await update(requestId, (state) => useGrant(state, decisionId, at));
        return result?.answer ?? false;
      }),

    async close() {
      closed = true;
      for (const close of [...closers])
        close(new ApprovalError('store_unavailable', 'the approval store is closed'));
    },
  };

  /**
   * Waits for the request's outcome, its expiry or the deadline: watches its key (the watch first delivers the value
   * as it is then, so nothing written since the first read is missed), reads it again when the watch ends and
   * watches anew.
   */
  function waitForChange(
    requestId: string,
    first: ApprovalState,
    deadline: Date,
    signal: AbortSignal | undefined,
  ): Promise<ApprovalState> {
    return new Promise<ApprovalState>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      let stopWatch: (() => void) | undefined;
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        for (const timer of timers) clearTimeout(timer);
        stopWatch?.();
        closers.delete(fail);
        signal?.removeEventListener('abort', abort);
        settle();
      };
      const wake = (state: ApprovalState) => finish(() => resolve(state));
      const fail = (error: unknown) => finish(() => reject(unavailable(error)));
      const abort = () => finish(() => reject(signal?.reason));
      closers.add(fail);
      signal?.addEventListener('abort', abort, { once: true });
      // Aborted or closed while the first read was on its way.
      if (signal?.aborted) return abort();
      if (closed) return fail(new ApprovalError('store_unavailable', 'the approval store is closed'));
      /** Reads the state (a due expiry written) and wakes on an outcome; `otherwise` when still pending. */
      const check = (otherwise?: () => void) =>
        current(requestId).then((state) => {
          if (!state) fail(new ApprovalError('unknown_request'));
          else if (state.outcome) wake(state);
          else otherwise?.();
        }, fail);
      const watch = () => {
        if (done) return;
        kv.watch({ key: requestKeys(requestId) })
          .then(async (updates) => {
            if (done) return updates.stop();
            stopWatch = () => updates.stop();
            for await (const entry of updates) {
              if (entry.operation !== 'PUT') continue;
              const state = stateOf(entry, requestId, revisionOf(entry.key));
              if (state.outcome) return wake(state);
            }
            if (!done) void check(watch);
          })
          .catch(fail);
      };
      watch();
      // A timer may fire a millisecond before the clock reads its time: a read at expiry that finds the request not
      // yet due waits again for the rest.
      const armExpiry = () => {
        if (done) return;
        const untilExpiry = Date.parse(first.request.expires_at) - now().getTime();
        if (untilExpiry < deadline.getTime() - now().getTime())
          timers.push(setTimeout(() => void check(armExpiry), delay(Math.max(untilExpiry, 1))));
      };
      armExpiry();
      timers.push(
        setTimeout(
          () => void current(requestId).then((state) => wake(state ?? first), fail),
          delay(deadline.getTime() - now().getTime()),
        ),
      );
    });
  }
}

/** Creates a key that must not exist yet: false when another writer created it first. */
async function createOnce(kv: KV, key: string, value: string): Promise<boolean> {
  try {
    await kv.create(key, value);
    return true;
  } catch (error) {
    if (wrongLastSequence(error)) return false;
    throw error;
  }
}

function wrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** Tells requesters' tools (a chat bridge subscribed to `cavra.approvals.outcome.>`); the KV is the truth. */
function publishOutcome(fleet: Fleet, state: ApprovalState): void {
  try {
    fleet.nc.publish(outcomeSubject(state.request.request_id), JSON.stringify(state));
  } catch {
    // Best effort: a closed connection or a denied subject loses the notice, never the outcome.
  }
}

/**
 * A request's state as stored under its revision's key, checked: a value that is not one, or not of that revision, is
 * refused, never read as pending or granted.
 */
function stateOf(entry: KvEntry, requestId: string, revision: number): ApprovalState {
  let state: ApprovalState | undefined;
  try {
    state = checkApprovalState(entry.json(), requestId);
  } catch {
    state = undefined;
  }
  if (state?.revision === revision) return state;
  throw new ApprovalError(
    'store_unavailable',
    `the fleet approval store holds a malformed state for request ${requestId}`,
  );
}

/** The revision of a `req.<id>.<revision>` key; -1 for a key that names none. */
function revisionOf(key: string): number {
  const revision = key.slice(key.lastIndexOf('.') + 1);
  return /^(0|[1-9][0-9]{0,8})$/.test(revision) ? Number(revision) : -1;
}

/** A malformed request state found through the grant index gives no grant (the others still count). */
function ignoreMalformed(error: unknown): undefined {
  if (error instanceof ApprovalError) return undefined;
  throw error;
}

function usedUntil(entry: KvEntry): number {
  if (entry.operation !== 'PUT') return 0;
  try {
    const until = entry.json<UsedJti>().until_ms;
    // Unreadable: counted as used, so a review id is never taken for new by mistake.
    return Number.isFinite(until) ? until : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The request id of a `req.<id>` or `grant.<fingerprint>.<id>` key (the last token). */
function idOf(key: string): string {
  return Buffer.from(key.slice(key.lastIndexOf('.') + 1), 'base64url').toString('utf8');
}

/**
 * Requests by creation time, then id. The KV keeps no order of creation across machines (each key holds only its
 * last write), so two requests created in the same millisecond are listed by id.
 */
function byCreation(a: ApprovalState, b: ApprovalState): number {
  const [x, y] = [a.request, b.request];
  if (x.created_at !== y.created_at) return x.created_at < y.created_at ? -1 : 1;
  return x.request_id < y.request_id ? -1 : x.request_id > y.request_id ? 1 : 0;
}

function unavailable(error: unknown): ApprovalError {
  if (error instanceof ApprovalError) return error;
  return new ApprovalError(
    'store_unavailable',
    `the fleet approval store cannot be reached (${toFleetError(error).code})`,
  );
}

// Timers hold at most 2^31 - 1 ms; a longer wait is cut there (the deadline then resolves early with the state).
function delay(ms: number): number {
  return Math.min(Math.max(ms, 0), 2_147_483_647);
}
