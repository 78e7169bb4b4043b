import {
  APPROVAL_STATUSES,
  type ApprovalState,
  type ApprovalStatus,
  approvalStatus,
  findApprovalStateProblem,
} from '@cavra/approvals/wire';
import { isSafeIdentifier, isSafeReference } from '@cavra/contracts/plain';
import { DaemonClientError, errorFrameError } from './daemon-client-error.js';
import type { ResponseFrame } from './daemon-connection.js';

// The approval frames of protocol v1 (the daemon's README, "Approvals"): what the client sends, checked before it
// is sent, and how it reads the answers, strictly.

/** `listApprovals` filter; `pending` means no outcome yet. */
export interface ApprovalFilter {
  readonly group?: string;
  readonly status?: ApprovalStatus;
}

/** What `reportActionOutcome` tells the daemon: the action it answered `require_approval` for ran (or not). */
export interface ActionOutcome {
  /** The decision id of the `require_approval` decision. */
  readonly decisionId: string;
  readonly ran: boolean;
  /** The agent's tool that ran it, a plain identifier (e.g. `Bash`, `mcp__github__create_issue`). */
  readonly tool: string;
}

/** What the daemon answers `reportActionOutcome`: the record it wrote (`asked_action_ran`) for that decision. */
export interface ActionOutcomeRecord {
  readonly decision_id: string;
  /** The evidence ref of the record (`cavra-daemon-evidence://<log>/<seq>`). */
  readonly evidence_ref: string;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function identifierArgument(name: string, value: unknown): string {
  if (typeof value !== 'string' || !isSafeIdentifier(value))
    throw new TypeError(`${name} must be a plain identifier, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * An approval record of an answer, checked against @cavra/approvals' wire schema (and, with `requestId`, that it is
 * about that request): anything else is a `protocol_error` naming the first wrong value by its JSON pointer, so a
 * caller never acts on (or prints as fact) an answer that is not one.
 */
function approvalRecord(json: unknown, requestId?: string): ApprovalState {
  const problem = findApprovalStateProblem(json, requestId);
  if (problem !== undefined)
    throw new DaemonClientError(
      'protocol_error',
      `the daemon's approval record: ${problem.path || 'the record'} ${problem.message}`,
    );
  return json as ApprovalState;
}

/** The answer's body as `type`; an error frame is the daemon's refusal, any other type a protocol error. */
function expect(response: ResponseFrame, type: ResponseFrame['type']): unknown {
  if (response.type === 'error') throw errorFrameError(response.body);
  if (response.type !== type) throw new DaemonClientError('protocol_error', `expected a ${type} frame`);
  return response.body;
}

export function approvalListFrame(filter: ApprovalFilter): Record<string, unknown> {
  if (filter.group !== undefined && (typeof filter.group !== 'string' || filter.group === ''))
    throw new TypeError('filter.group must be a non-empty string');
  if (filter.status !== undefined && !APPROVAL_STATUSES.includes(filter.status))
    throw new TypeError(`filter.status must be one of ${APPROVAL_STATUSES.join(', ')}`);
  return {
    type: 'approval_list',
    ...(filter.group !== undefined ? { group: filter.group } : {}),
    ...(filter.status !== undefined ? { status: filter.status } : {}),
  };
}

/** The list answer: every record checked, and each one within the filter (a record outside it is not an answer). */
export function readApprovalList(response: ResponseFrame, filter: ApprovalFilter): ApprovalState[] {
  const body = expect(response, 'approval_list');
  if (!Array.isArray(body)) throw new DaemonClientError('protocol_error', 'the approval list is not a list');
  return body.map((item) => {
    const state = approvalRecord(item);
    if (filter.group !== undefined && state.request.approver_group !== filter.group)
      throw new DaemonClientError(
        'protocol_error',
        `the approval list holds a request outside group ${filter.group}`,
      );
    if (filter.status !== undefined && approvalStatus(state) !== filter.status)
      throw new DaemonClientError(
        'protocol_error',
        `the approval list holds a request that is not ${filter.status}`,
      );
    return state;
  });
}

export function approvalShowFrame(requestId: string): Record<string, unknown> {
  return { type: 'approval_show', request_id: identifierArgument('requestId', requestId) };
}

/** An `approval` answer about `requestId`. */
export function readApproval(response: ResponseFrame, requestId: string): ApprovalState {
  return approvalRecord(expect(response, 'approval'), requestId);
}

/**
 * The request a review is for: its payload's `request_id`. A value that is not a compact JWS with such a payload is
 * refused before it is sent (TypeError): the daemon would refuse it, and the answer could not be matched to it.
 */
export function reviewedRequestId(jws: string): string {
  if (typeof jws !== 'string' || !COMPACT_JWS.test(jws)) throw new TypeError('review must be a compact JWS');
  let payload: { request_id?: unknown } | null;
  try {
    payload = JSON.parse(Buffer.from(jws.split('.')[1] as string, 'base64url').toString('utf8'));
  } catch {
    throw new TypeError('review payload is not JSON');
  }
  return identifierArgument('review payload request_id', payload?.request_id);
}

export function approvalReviewFrame(jws: string): Record<string, unknown> {
  return { type: 'approval_review', review: jws };
}

export function actionOutcomeFrame(outcome: ActionOutcome): Record<string, unknown> {
  const decisionId = identifierArgument('decisionId', outcome?.decisionId);
  if (typeof outcome.ran !== 'boolean') throw new TypeError('ran must be a boolean');
  const tool = identifierArgument('tool', outcome.tool);
  return { type: 'action_outcome', decision_id: decisionId, ran: outcome.ran, tool };
}

/** A `recorded` answer about `decisionId`: the record's decision id and evidence ref. */
export function readRecorded(response: ResponseFrame, decisionId: string): ActionOutcomeRecord {
  const body = expect(response, 'recorded') as Partial<ActionOutcomeRecord> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DaemonClientError('protocol_error', 'the recorded frame is not an object');
  if (body.decision_id !== decisionId)
    throw new DaemonClientError('protocol_error', 'the recorded frame is about another decision');
  if (typeof body.evidence_ref !== 'string' || !isSafeReference(body.evidence_ref))
    throw new DaemonClientError('protocol_error', 'the recorded frame has no evidence ref');
  return { decision_id: body.decision_id, evidence_ref: body.evidence_ref };
}
