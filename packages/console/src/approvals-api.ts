import { APPROVAL_STATUSES, type ApprovalStatus } from '@cavra/approvals/wire';
import { isSafeIdentifier } from '@cavra/contracts';
import { createClient, type DaemonClient, DaemonClientError } from '@cavra/daemon-client';
import type { Hono } from 'hono';
import { ConsoleError } from './console-error.js';
import type { ApprovalSource, ConsoleOptions, ReviewToSign } from './console-options.js';
import type { EvidenceStore } from './evidence-store.js';
import type { ConsoleEnv } from './request-guard.js';

/** Previous decisions of the requesting session shown with a request. */
const HISTORY = 10;

/** The daemon's refusals as the API's: the review's refusal keeps its reason (`self_review`, `request_expired`, ...). */
function consoleError(error: DaemonClientError): ConsoleError {
  // Unknown: the daemon's `unknown_approval` (show) or the store's `unknown_request` (a review).
  if (error.daemonCode === 'unknown_approval' || error.reason === 'unknown_request')
    return new ConsoleError('unknown_approval', error.message);
  if (error.code === 'approval_refused')
    return new ConsoleError('approval_refused', error.message, error.reason);
  if (error.code === 'daemon_unavailable' || error.code === 'timeout')
    return new ConsoleError('daemon_unavailable', error.message);
  return new ConsoleError('daemon_error', error.message);
}

/** Runs one call on a client of the daemon (a connection per call: the daemon may restart under the console). */
async function withDaemon<T>(socketPath: string, call: (client: DaemonClient) => Promise<T>): Promise<T> {
  const client = createClient({ socketPath, timeoutMs: 10_000 });
  try {
    return await call(client);
  } catch (error) {
    throw error instanceof DaemonClientError ? consoleError(error) : error;
  } finally {
    await client.close();
  }
}

/** The request id of the path: a plain identifier, as the daemon's ids are (else the client would refuse it). */
function requestId(given: string): string {
  if (!isSafeIdentifier(given))
    throw new ConsoleError('invalid_request', `${JSON.stringify(given.slice(0, 80))} is not a request id`);
  return given;
}

/** The review the page posted, checked for shape (the signer checks scope and reason as the CLI does). */
function reviewBody(id: string, body: unknown): ReviewToSign {
  const given = body as { verdict?: unknown; scope?: unknown; reason?: unknown } | null;
  if (typeof given !== 'object' || given === null)
    throw new ConsoleError('invalid_request', 'the body must be a JSON object');
  const { verdict, scope, reason } = given;
  if (verdict !== 'approve' && verdict !== 'deny')
    throw new ConsoleError('invalid_request', 'verdict must be approve or deny');
  if (scope !== undefined && typeof scope !== 'string')
    throw new ConsoleError('invalid_request', 'scope must be a string');
  if (reason !== undefined && typeof reason !== 'string')
    throw new ConsoleError('invalid_request', 'reason must be a string');
  if (verdict === 'deny' && !reason) throw new ConsoleError('invalid_review', 'a denial needs a reason');
  return {
    id,
    verdict,
    ...(verdict === 'approve' && scope ? { scope } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** The approvals routes: the inbox, one request with its session's history, and a review signed by the operator. */
export function approvalsApi(
  app: Hono<ConsoleEnv>,
  options: ConsoleOptions,
  evidence: EvidenceStore | undefined,
) {
  // The fleet's store when given, else the daemon's socket: one set of calls for the routes below.
  const source = (): Required<Omit<ApprovalSource, 'name'>> => {
    const given = options.approvalSource;
    if (given)
      return {
        list: (filter) => given.list(filter),
        show: (id) => given.show(id),
        review: (review) => {
          if (!given.review) throw new ConsoleError('signing_not_configured');
          return given.review(review);
        },
      };
    const socketPath = options.socketPath;
    if (!socketPath) throw new ConsoleError('approvals_not_configured');
    return {
      list: (filter) => withDaemon(socketPath, (client) => client.listApprovals(filter)),
      show: (id) => withDaemon(socketPath, (client) => client.showApproval(id)),
      review: async (review) => {
        if (!options.sign) throw new ConsoleError('signing_not_configured');
        let jws: string;
        try {
          jws = await options.sign(review);
        } catch (error) {
          throw new ConsoleError('invalid_review', (error as Error).message);
        }
        return withDaemon(socketPath, (client) => client.reviewApproval(jws));
      },
    };
  };
  const groups = options.approver?.groups;

  app.get('/api/approvals', async (c) => {
    const status = c.req.query('status') ?? 'pending';
    if (!(APPROVAL_STATUSES as readonly string[]).includes(status))
      throw new ConsoleError('invalid_request', `status must be one of ${APPROVAL_STATUSES.join(', ')}`);
    const group = c.req.query('group');
    const listed = await source().list({ status: status as ApprovalStatus, ...(group ? { group } : {}) });
    // Without a group asked for, the approver's own groups when known: the inbox is theirs.
    const mine =
      group || !groups ? listed : listed.filter((state) => groups.includes(state.request.approver_group));
    return c.json({ approvals: mine });
  });

  app.get('/api/approvals/:id', async (c) => {
    const id = requestId(c.req.param('id'));
    const state = await source().show(id);
    const session = state.request.requester.session_id;
    // Recorded before the request was made: its own records (the request, the pending answer) are not its history.
    const until = new Date(Date.parse(state.request.created_at) - 1).toISOString();
    // An approver's machine may not hold the requester's log (the fleet store): the request still shows, without it.
    const history = evidence
      ? await evidence.page({ limit: HISTORY, session, until }).then(
          (page) => page.records,
          (error: unknown) => {
            if (error instanceof ConsoleError && error.code === 'evidence_missing') return error.message;
            throw error;
          },
        )
      : [];
    return typeof history === 'string'
      ? c.json({ approval: state, session_history: [], session_history_unavailable: history })
      : c.json({ approval: state, session_history: history });
  });

  app.post('/api/approvals/:id/review', async (c) => {
    const review = reviewBody(requestId(c.req.param('id')), await c.req.json().catch(() => null));
    return c.json({ approval: await source().review(review) });
  });
}
