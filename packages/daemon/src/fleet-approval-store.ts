import {
  ApprovalError,
  type ApprovalRequest,
  type ApprovalState,
  type ApprovalStore,
  usableGrant,
} from '@cavra/approvals';
import { connectFleet, type Fleet, openFleetApprovalStore } from '@cavra/fleet';
import type { ReviewVerification } from './approval-verification.js';
import { type FleetConnectionConfig, fleetConnectOptions } from './fleet-config.js';
import { recheckFleetState, UnverifiableApproval } from './fleet-state-check.js';

/** Options of {@link openDaemonFleetApprovalStore}. */
export interface DaemonFleetApprovalStoreOptions {
  readonly now: () => Date;
  /**
   * Called, before the operation that saw it resolves, with a state of a request this daemon created that holds
   * reviews or an outcome not seen before, and the state seen before: reviews are made by approvers on other
   * machines, so the daemon records them (its evidence log) when it reads them.
   */
  readonly observed: (state: ApprovalState, previous: ApprovalState) => Promise<void>;
  /** The approver keys every review of this daemon's requests is verified with again before it counts. */
  readonly verification: ReviewVerification;
  /** Called, before the operation that saw it throws, with a state of this daemon's that did not verify. */
  readonly unverifiable: (problem: UnverifiableApproval) => Promise<void>;
}

/** This daemon's requests it remembers (to verify their states against): the most recent ones, in memory. */
const MAX_OWN_REMEMBERED = 10_000;

/**
 * The fleet approval store (`approvals: { store: fleet }`) on its own NATS connection, made at first use, not at
 * start (a daemon starts and decides while NATS is down), and again at the next use after it failed: meanwhile every
 * operation throws `store_unavailable` (the decision is `block`, `approval.unavailable`). A state of a request this
 * daemon created counts only as re-derived from its verified reviews (fleet-state-check.ts): one that is not throws
 * UnverifiableApproval (`block`, `approval.unverifiable`); a grant of such a state, or of a request it does not
 * remember (created before a restart, or elsewhere), is not used: the action is asked for again.
 */
export function openDaemonFleetApprovalStore(
  connection: FleetConnectionConfig,
  options: DaemonFleetApprovalStoreOptions,
): ApprovalStore {
  let opening: Promise<{ fleet: Fleet; store: ApprovalStore }> | undefined;
  let closed = false;
  const seen = new Map<string, ApprovalState>(); // this daemon's pending requests, as last recorded
  const own = new Map<string, ApprovalRequest>(); // this daemon's requests, as created

  const open = () => {
    if (closed) return Promise.reject(new ApprovalError('store_unavailable', 'the approval store is closed'));
    opening ??= (async () => {
      const fleet = await connectFleet(fleetConnectOptions(connection, `${connection.name}-approvals`));
      try {
        return { fleet, store: await openFleetApprovalStore({ fleet, now: options.now }) };
      } catch (error) {
        await fleet.close().catch(() => undefined);
        throw error;
      }
    })();
    return opening.catch((error: unknown) => {
      opening = undefined;
      throw error instanceof ApprovalError
        ? error
        : new ApprovalError(
            'store_unavailable',
            `the fleet approval store cannot be reached (${(error as { code?: string }).code ?? 'nats_error'})`,
          );
    });
  };

  /**
   * A state of one of this daemon's requests as re-derived from its verified reviews (others' as read), after
   * recording what is new in it; forgets the request's last recorded state once decided.
   */
  const observe = async (read: ApprovalState | undefined) => {
    const request = read && own.get(read.request.request_id);
    if (!read || !request) return read;
    let state: ApprovalState;
    try {
      state = await recheckFleetState(read, request, options.verification);
    } catch (error) {
      if (error instanceof UnverifiableApproval) await options.unverifiable(error);
      throw error;
    }
    const previous = seen.get(state.request.request_id);
    if (!previous || state.revision <= previous.revision) return state;
    await options.observed(state, previous);
    if (state.outcome) seen.delete(state.request.request_id);
    else seen.set(state.request.request_id, state);
    return state;
  };

  return {
    async create(request) {
      const answer = await (await open()).store.create(request);
      if (answer === 'created') {
        seen.set(request.request_id, { request, reviews: [], revision: 0 });
        // As the store keeps it (JSON): what its states' requests must equal.
        own.set(request.request_id, JSON.parse(JSON.stringify(request)) as ApprovalRequest);
        if (own.size > MAX_OWN_REMEMBERED) own.delete(own.keys().next().value as string);
      }
      return answer;
    },
    get: async (requestId) => observe(await (await open()).store.get(requestId)),
    async list(filter) {
      const states = await (await open()).store.list(filter);
      // A list shows the bucket as it is; an unverifiable state of this daemon's is recorded, not hidden.
      for (const state of states)
        await observe(state).catch((error: unknown) => {
          if (!(error instanceof UnverifiableApproval)) throw error;
        });
      return states;
    },
    review: async (requestId, review, now) =>
      (await observe(await (await open()).store.review(requestId, review, now))) as ApprovalState,
    seenJti: async (jti) => (await open()).store.seenJti(jti),
    waitForOutcome: async (requestId, wait) =>
      (await observe(await (await open()).store.waitForOutcome(requestId, wait))) as ApprovalState,
    async findGrant(fingerprint, sessionId, now) {
      const { store } = await open();
      const grant = await store.findGrant(fingerprint, sessionId, now);
      if (!grant || !own.has(grant.request_id)) return undefined;
      // A grant whose state does not verify is recorded (observe) and not used: the action is asked for again.
      const state = await observe(await store.get(grant.request_id)).catch((error: unknown) => {
        if (error instanceof UnverifiableApproval) return undefined;
        throw error;
      });
      return state && usableGrant(state, { fingerprint, session_id: sessionId, now });
    },
    consumeGrant: async (requestId, decisionId) => (await open()).store.consumeGrant(requestId, decisionId),
    async close() {
      closed = true;
      const opened = await opening?.catch(() => undefined);
      await opened?.store.close();
      await opened?.fleet.close().catch(() => undefined);
    },
  };
}
