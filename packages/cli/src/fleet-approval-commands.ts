import type { ApprovalListFilter, ApprovalStore } from '@cavra/approvals';
import type { ApprovalState } from '@cavra/approvals/wire';
import type { FleetConnectionOptions } from '@cavra/fleet';
import { type DaemonResult, requestId } from './approval-commands.js';
import { CliError, EXIT } from './cli-error.js';
import { type ReviewSigner, signedReview } from './review-signing.js';

// `cavra approval ... --nats`: the same commands on the fleet's approval store (the KV bucket cavra_approvals), for an
// approver who does not talk to the requester's daemon. The results take the daemon's shapes, so the same renderers
// print them. NATS and the daemon's config loader are imported only here.

/** Runs `work` on the fleet store; a refusal or a NATS failure is the result's error, as a daemon's would be. */
async function withFleetStore<T>(
  connection: FleetConnectionOptions,
  work: (store: ApprovalStore) => Promise<T>,
): Promise<DaemonResult<T>> {
  const [{ ApprovalError }, { connectFleet, FleetError, openFleetApprovalStore }] = await Promise.all([
    import('@cavra/approvals'),
    import('@cavra/fleet'),
  ]);
  try {
    const fleet = await connectFleet({ ...connection, name: 'cavra approval' });
    try {
      const store = await openFleetApprovalStore({ fleet });
      try {
        return { ok: true, value: await work(store) };
      } finally {
        await store.close();
      }
    } finally {
      await fleet.close();
    }
  } catch (error) {
    if (error instanceof ApprovalError)
      return { ok: false, error: { code: 'approval_refused', reason: error.code, message: error.message } };
    if (!(error instanceof FleetError)) throw error;
    if (error.code === 'invalid_options') throw new CliError(EXIT.usage, `approval: ${error.message}`);
    return { ok: false, error: { code: error.code, message: error.message } };
  }
}

export function listFleetApprovalRequests(
  connection: FleetConnectionOptions,
  filter: ApprovalListFilter,
): Promise<DaemonResult<ApprovalState[]>> {
  return withFleetStore(connection, (store) => store.list(filter));
}

export async function showFleetApprovalRequest(
  connection: FleetConnectionOptions,
  id: string,
): Promise<DaemonResult<ApprovalState>> {
  const result = await withFleetStore(connection, (store) => store.get(requestId(id)));
  if (!result.ok || result.value) return result as DaemonResult<ApprovalState>;
  return {
    ok: false,
    error: { code: 'daemon_error', daemonCode: 'unknown_approval', message: `no approval request ${id}` },
  };
}

/**
 * Signs a review of request `id` (approver keys only), verifies it as the requesting daemons do (the approver keys of
 * the daemon config `configFile`'s `approvals:` section: the fleet's approvers list), and applies it to the fleet
 * store. Checked here, before the write, so that a review that would be refused never decides an outcome; the
 * requesting daemon verifies it again before that outcome counts.
 */
export async function reviewFleetApprovalRequest(
  connection: FleetConnectionOptions,
  configFile: string,
  review: { id: string; verdict: 'approve' | 'deny'; scope?: string; reason?: string },
  signer: ReviewSigner,
): Promise<DaemonResult<ApprovalState>> {
  // The requesting daemon verifies each review of the state again, and the store keeps an OIDC review's token only as
  // its hash: such a review would leave the request unverifiable, never approved (docs/approvals.md).
  if (signer.idToken !== undefined)
    throw new CliError(
      EXIT.usage,
      'approval: --nats takes approver-key reviews only (--key FILE --as ID): a requesting daemon cannot verify an --id-token review again',
    );
  const id = requestId(review.id);
  const jws = await signedReview({ ...review, id }, signer);
  const [{ verifyReview }, { loadDaemonConfig, loadReviewVerification }] = await Promise.all([
    import('@cavra/approvals'),
    import('@cavra/daemon'),
  ]);
  const config = await loadDaemonConfig(configFile).catch((error: Error) => {
    throw new CliError(EXIT.invalidInput, error.message);
  });
  if (!config.approvals)
    throw new CliError(EXIT.invalidInput, `${configFile}: no approvals: section (the approver groups)`);
  const verification = await loadReviewVerification(config.approvals, () => new Date());
  return withFleetStore(connection, async (store) => {
    const now = new Date();
    const verified = await verifyReview(jws, {
      ...verification,
      now,
      seenJti: (jti) => store.seenJti(jti),
    });
    return store.review(id, verified, now);
  });
}
