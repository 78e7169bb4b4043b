import type { ApprovalState } from './approval-model.js';
import { approvalState as validate } from './generated/approval-state-validator.js';

/** Why a value is not an approval state: the JSON pointer of the first wrong value and what is wrong with it. */
export interface ApprovalStateProblem {
  /** JSON pointer (`/reviews/0/request_id`); `''` is the value itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * The first problem that keeps `json` from being an approval state as it travels (schema/approval-state.schema.json,
 * then what a schema cannot say: every review and the grant are the request's), or undefined. With `requestId`,
 * the state must also be that request's.
 */
export function findApprovalStateProblem(
  json: unknown,
  requestId?: string,
): ApprovalStateProblem | undefined {
  if (!validate(json)) {
    const [error] = validate.errors ?? [];
    // A `false` schema is how the schema forbids a key (a grant on an outcome that is not `approved`).
    const message =
      error?.keyword === 'false schema' ? 'must not be present' : (error?.message ?? 'is invalid');
    return { path: error?.instancePath ?? '', message };
  }
  const state = json as ApprovalState;
  const id = state.request.request_id;
  if (requestId !== undefined && id !== requestId)
    return {
      path: '/request/request_id',
      message: `is not the request asked about (${JSON.stringify(requestId)})`,
    };
  const foreign = state.reviews.findIndex((review) => review.request_id !== id);
  if (foreign >= 0) return { path: `/reviews/${foreign}/request_id`, message: "is not the request's" };
  if (state.outcome?.grant !== undefined && state.outcome.grant.request_id !== id)
    return { path: '/outcome/grant/request_id', message: "is not the request's" };
  return undefined;
}

/** `json` as an approval state, or a TypeError naming the first problem (`findApprovalStateProblem`). */
export function checkApprovalState(json: unknown, requestId?: string): ApprovalState {
  const problem = findApprovalStateProblem(json, requestId);
  if (problem !== undefined)
    throw new TypeError(`not an approval state: ${problem.path || 'the value'} ${problem.message}`);
  return json as ApprovalState;
}
