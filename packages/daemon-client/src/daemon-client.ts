import type { ApprovalState } from '@cavra/approvals/wire';
import { type DecisionResponse, EvaluateRequestCodec, type EvaluateRequestInit } from '@cavra/contracts';
import {
  type ActionOutcome,
  type ActionOutcomeRecord,
  type ApprovalFilter,
  actionOutcomeFrame,
  approvalListFrame,
  approvalReviewFrame,
  approvalShowFrame,
  readApproval,
  readApprovalList,
  readRecorded,
  reviewedRequestId,
} from './approval-frames.js';
import type { CallOptions } from './call-deadline.js';
import { clientSettings, type DaemonClientOptions } from './client-settings.js';
import { DaemonClientError, errorFrameError } from './daemon-client-error.js';
import { checkDecision } from './decision-check.js';
import type { HealthReport } from './health-report.js';
import { upstreamClient } from './upstream-client.js';
import { decisionBody, type EvaluateOptions, evaluateFrame, v1Calls } from './v1-calls.js';

export type { DaemonClientOptions, DaemonProtocol } from './client-settings.js';
export type { EvaluateOptions } from './v1-calls.js';
export type { CallOptions };

export interface DaemonClient {
  /**
   * Asks the daemon for a decision. Resolves with the validated DecisionResponse, whatever it decides; throws
   * DaemonClientError when no decision was obtained (and ContractValidationError for a request that is invalid
   * before it is sent). Never makes a decision up.
   */
  evaluate(request: EvaluateRequestInit, options?: EvaluateOptions): Promise<DecisionResponse>;
  health(options?: CallOptions): Promise<HealthReport>;
  /**
   * The daemon's approval requests (every review kept), optionally of one approver group and status. v1 only. A
   * daemon without approvals configured answers `daemon_error` `approvals_not_configured`.
   */
  listApprovals(filter?: ApprovalFilter, options?: CallOptions): Promise<ApprovalState[]>;
  /** One approval request by id (a decision id); unknown: `daemon_error` `unknown_approval`. v1 only. */
  showApproval(requestId: string, options?: CallOptions): Promise<ApprovalState>;
  /**
   * Sends a signed review (compact JWS, @cavra/approvals' `signReview`) and resolves with the request as it stands
   * after it. A review the daemon refuses fails with `approval_refused`, its `reason` the @cavra/approvals error code
   * (`self_review`, `not_in_group`, ...). v1 only.
   */
  reviewApproval(review: string, options?: CallOptions): Promise<ApprovalState>;
  /**
   * Tells the daemon that an action it answered `require_approval` for ran (or not), for its evidence log; resolves
   * with the record written. A decision id the daemon did not record as `require_approval` fails with `daemon_error`
   * `unknown_decision`. v1 only (also without approvals configured).
   */
  reportActionOutcome(outcome: ActionOutcome, options?: CallOptions): Promise<ActionOutcomeRecord>;
  /** Closes the connection; calls after this fail with `closed`. */
  close(): Promise<void>;
}

export function createClient(options: DaemonClientOptions): DaemonClient {
  const settings = clientSettings(options);
  const protocol = options.protocol ?? 'v1';
  const decisionOptions = {
    complete: protocol === 'v1',
    upstreamFillIns: protocol === 'upstream',
    defaultPolicyPack: options.defaultPolicyPack,
  };
  if (protocol === 'upstream') {
    const { socketPath, timeoutMs, maxFrameBytes, trust } = settings;
    return upstreamClient(socketPath, { timeoutMs, maxFrameBytes, trust, decisionOptions });
  }
  const { call, close } = v1Calls(settings);

  return {
    async evaluate(request, evaluateOptions = {}) {
      // Validate here, so a bad request fails with the contract's field-named issues and never travels.
      const message = EvaluateRequestCodec.fromJSON(request, { strict: true });
      return call(
        evaluateFrame(EvaluateRequestCodec.toJSON(message), evaluateOptions.correlationId),
        evaluateOptions,
        (response) => checkDecision(decisionBody(response), message, decisionOptions),
        true,
      );
    },
    async health(callOptions = {}) {
      return call({ type: 'health' }, callOptions, (response) => {
        if (response.type === 'error') throw errorFrameError(response.body);
        if (response.type !== 'health' || typeof response.body !== 'object' || response.body === null) {
          throw new DaemonClientError('protocol_error', 'expected a health frame');
        }
        return response.body as HealthReport;
      });
    },
    async listApprovals(filter = {}, callOptions = {}) {
      return call(approvalListFrame(filter), callOptions, (response) => readApprovalList(response, filter));
    },
    async showApproval(requestId, callOptions = {}) {
      return call(approvalShowFrame(requestId), callOptions, (response) => readApproval(response, requestId));
    },
    async reviewApproval(review, callOptions = {}) {
      const requestId = reviewedRequestId(review);
      return call(approvalReviewFrame(review), callOptions, (response) => readApproval(response, requestId));
    },
    async reportActionOutcome(outcome, callOptions = {}) {
      const frame = actionOutcomeFrame(outcome);
      return call(frame, callOptions, (response) => readRecorded(response, frame.decision_id as string));
    },
    async close() {
      close();
    },
  };
}
