import { resolve } from 'node:path';
import { generateApproverKey } from '@cavra/approvals';
import type { ApprovalState } from '@cavra/approvals/wire';
import { isSafeIdentifier } from '@cavra/contracts';
import {
  type ApprovalFilter,
  createClient,
  type DaemonClient,
  DaemonClientError,
  defaultSocketPath,
} from '@cavra/daemon-client';
import { CliError, EXIT } from './cli-error.js';
import { writeNew } from './new-file.js';
import { type ReviewSigner, signedReview } from './review-signing.js';

// `cavra approval`: each command computes a result (a value), printed by the renderers (render-approval.ts).

/** A key keygen wrote: the kid is what the daemon matches a review to (and, for OIDC, the nonce to ask for). */
export interface ApproverKeyReport {
  readonly kid: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** The approver id to list the key under, when given. */
  readonly approverId?: string;
}

/** What the daemon answered a call: the value, or the client's error (the daemon's refusal, or no daemon). */
export type DaemonResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: {
        /** The client's code: `approval_refused`, `daemon_error`, `daemon_unavailable`, ... */
        readonly code: string;
        /** The daemon's error code (`unknown_approval`, `approvals_not_configured`, ...). */
        readonly daemonCode?: string;
        /** For `approval_refused`: why (`self_review`, `not_in_group`, `request_expired`, ...). */
        readonly reason?: string;
        readonly message: string;
      };
    };

/** A new Ed25519 approver key: FILE (mode 600) and FILE.pub.pem, never overwriting either. */
export async function approverKeygen(options: {
  out: string;
  approverId?: string;
}): Promise<ApproverKeyReport> {
  const key = await generateApproverKey();
  const publicKeyPath = `${options.out}.pub.pem`;
  await writeNew(options.out, key.privateKeyPem, 0o600);
  await writeNew(publicKeyPath, key.publicKeyPem, 0o644);
  return {
    kid: key.kid,
    privateKeyPath: resolve(options.out),
    publicKeyPath: resolve(publicKeyPath),
    ...(options.approverId ? { approverId: options.approverId } : {}),
  };
}

/** Runs one call on a client of the daemon at `socket` (default: where the daemon listens by default). */
async function withDaemon<T>(socket: string | undefined, call: (client: DaemonClient) => Promise<T>) {
  const client = createClient({ socketPath: socket ?? defaultSocketPath(), timeoutMs: 10_000 });
  try {
    return { ok: true, value: await call(client) } as const;
  } catch (error) {
    if (!(error instanceof DaemonClientError)) throw error;
    return {
      ok: false,
      error: {
        code: error.code,
        ...(error.daemonCode ? { daemonCode: error.daemonCode } : {}),
        ...(error.reason ? { reason: error.reason } : {}),
        message: error.message,
      },
    } as const;
  } finally {
    await client.close();
  }
}

/** A request id from the command line: a decision id, a plain identifier (else usage). */
export function requestId(id: string): string {
  if (!isSafeIdentifier(id)) throw new CliError(EXIT.usage, `${JSON.stringify(id)} is not a request id`);
  return id;
}

export function listApprovalRequests(
  socket: string | undefined,
  filter: ApprovalFilter,
): Promise<DaemonResult<ApprovalState[]>> {
  return withDaemon(socket, (client) => client.listApprovals(filter));
}

export function showApprovalRequest(
  socket: string | undefined,
  id: string,
): Promise<DaemonResult<ApprovalState>> {
  return withDaemon(socket, (client) => client.showApproval(requestId(id)));
}

/** Signs a review of request `id` (see review-signing.ts) and sends it; the result is the request after it. */
export async function reviewApprovalRequest(
  socket: string | undefined,
  review: { id: string; verdict: 'approve' | 'deny'; scope?: string; reason?: string },
  signer: ReviewSigner,
): Promise<DaemonResult<ApprovalState>> {
  const jws = await signedReview({ ...review, id: requestId(review.id) }, signer);
  return withDaemon(socket, (client) => client.reviewApproval(jws));
}
