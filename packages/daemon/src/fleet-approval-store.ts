import { ApprovalError, type ApprovalState, type ApprovalStore } from '@cavra/approvals';
import { connectFleet, type Fleet, openFleetApprovalStore } from '@cavra/fleet';
import { type FleetConnectionConfig, fleetConnectOptions } from './fleet-config.js';

/** Options of {@link openDaemonFleetApprovalStore}. */
export interface DaemonFleetApprovalStoreOptions {
  readonly now: () => Date;
  /**
   * Called, before the operation that saw it resolves, with a state of a request this daemon created that holds
   * reviews or an outcome not seen before, and the state seen before: reviews are made by approvers on other
   * machines, so the daemon records them (its evidence log) when it reads them.
   */
  readonly observed: (state: ApprovalState, previous: ApprovalState) => Promise<void>;
}

/**
 * The fleet approval store (`approvals: { store: fleet }`) on its own NATS connection, made at first use, not at
 * start (a daemon starts and decides while NATS is down), and again at the next use after it failed: meanwhile every
 * operation throws `store_unavailable` (the decision is `block`, `approval.unavailable`).
 */
export function openDaemonFleetApprovalStore(
  connection: FleetConnectionConfig,
  options: DaemonFleetApprovalStoreOptions,
): ApprovalStore {
  let opening: Promise<{ fleet: Fleet; store: ApprovalStore }> | undefined;
  let closed = false;
  const seen = new Map<string, ApprovalState>(); // this daemon's pending requests, as last recorded

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

  /** Records what is new in a state of one of this daemon's requests; forgets the request once decided. */
  const observe = async (state: ApprovalState | undefined) => {
    const previous = state && seen.get(state.request.request_id);
    if (!state || !previous || state.revision <= previous.revision) return state;
    await options.observed(state, previous);
    if (state.outcome) seen.delete(state.request.request_id);
    else seen.set(state.request.request_id, state);
    return state;
  };

  return {
    async create(request) {
      const answer = await (await open()).store.create(request);
      if (answer === 'created') seen.set(request.request_id, { request, reviews: [], revision: 0 });
      return answer;
    },
    get: async (requestId) => observe(await (await open()).store.get(requestId)),
    async list(filter) {
      const states = await (await open()).store.list(filter);
      for (const state of states) await observe(state);
      return states;
    },
    review: async (requestId, review, now) =>
      (await observe(await (await open()).store.review(requestId, review, now))) as ApprovalState,
    seenJti: async (jti) => (await open()).store.seenJti(jti),
    waitForOutcome: async (requestId, wait) =>
      (await observe(await (await open()).store.waitForOutcome(requestId, wait))) as ApprovalState,
    findGrant: async (fingerprint, sessionId, now) =>
      (await open()).store.findGrant(fingerprint, sessionId, now),
    consumeGrant: async (requestId, decisionId) => (await open()).store.consumeGrant(requestId, decisionId),
    async close() {
      closed = true;
      const opened = await opening?.catch(() => undefined);
      await opened?.store.close();
      await opened?.fleet.close().catch(() => undefined);
    },
  };
}
