import type { ApprovalState } from '@cavra/approvals/wire';
import {
  type DecisionResponse,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
  isSafeIdentifier,
} from '@cavra/contracts';
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
import { type CallOptions, checkCallOptions, positiveInteger, withDeadline } from './call-deadline.js';
import { DaemonClientError, type DaemonClientErrorCode, errorFrameError } from './daemon-client-error.js';
import { DaemonConnection, type ResponseFrame, UndeliveredFrame } from './daemon-connection.js';
import { checkDecision } from './decision-check.js';
import type { HealthReport } from './health-report.js';
import { checkSocketTrust } from './socket-trust.js';
import { upstreamClient } from './upstream-client.js';

/**
 * How the client talks to the daemon. `v1`: our envelope (`{"v":1,"id",...}`), one persistent, pipelined
 * connection, health. `upstream`: upstream CAVRA's transport, one bare EvaluateRequest per connection and one bare
 * DecisionResponse back; no health, no correlation id. Our daemon answers both; upstream's Go daemon only the second.
 */
export type DaemonProtocol = 'v1' | 'upstream';

export interface DaemonClientOptions {
  readonly socketPath: string;
  /** Default `v1`. Never detected: see the README ("Using with the upstream Go daemon"). */
  readonly protocol?: DaemonProtocol;
  /** Per-call timeout; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Largest frame sent or accepted; default 1 MiB, the daemon's default. */
  readonly maxFrameBytes?: number;
  /**
   * The uid that must own the socket and its folder (neither writable by group or others); default this process's
   * uid. `null` turns the check off (only for a socket whose folder you secure otherwise).
   */
  readonly expectedOwnerUid?: number | null;
  /**
   * Pin the daemon's default pack: a request without `policy_pack` must then be answered by this pack. Unset (the
   * default): whatever pack the daemon is configured to decide such requests with; the answer's `policy_pack` and
   * `policy_id` name it. A pack named in the request must come back as itself either way.
   */
  readonly defaultPolicyPack?: string;
  /**
   * v1: how long a call that refused the daemon's answer waits, at most, for the daemon to record the refusal (see the
   * README, "Refusals on record") before it fails; default 500 ms. The call fails either way.
   */
  readonly refusalReportTimeoutMs?: number;
}

export type { CallOptions };

export interface EvaluateOptions extends CallOptions {
  /** Ties the decision to the caller's trace (a plain identifier); the daemon makes one when absent. */
  readonly correlationId?: string;
}

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

/**
 * Failures of an evaluate frame already sent that leave the daemon's record saying whatever it decided while the
 * caller gets no decision: the client refused the answer, or stopped waiting for it. (An error frame is the daemon's
 * own refusal, recorded as nothing; a connection that is gone cannot carry a report.)
 */
const REPORTED: ReadonlySet<DaemonClientErrorCode> = new Set(['protocol_error', 'timeout', 'aborted']);

export function createClient(options: DaemonClientOptions): DaemonClient {
  if (typeof options.socketPath !== 'string' || options.socketPath === '') {
    throw new TypeError('socketPath must be a non-empty string');
  }
  const protocol = options.protocol ?? 'v1';
  if (protocol !== 'v1' && protocol !== 'upstream') {
    throw new TypeError(`protocol must be 'v1' or 'upstream', got ${String(protocol)}`);
  }
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 5000);
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? 1024 * 1024);
  const reportMs = positiveInteger('refusalReportTimeoutMs', options.refusalReportTimeoutMs ?? 500);
  const expectedUid =
    options.expectedOwnerUid === null
      ? undefined
      : options.expectedOwnerUid === undefined
        ? process.getuid?.()
        : nonNegativeInteger('expectedOwnerUid', options.expectedOwnerUid);
  const decisionOptions = {
    complete: protocol === 'v1',
    upstreamFillIns: protocol === 'upstream',
    defaultPolicyPack: options.defaultPolicyPack,
  };
  const trust = () => checkSocketTrust(options.socketPath, expectedUid);
  if (protocol === 'upstream') {
    return upstreamClient(options.socketPath, { timeoutMs, maxFrameBytes, trust, decisionOptions });
  }
  let connection: DaemonConnection | undefined;
  /** The trust check and connect in progress, shared by the calls that need a connection meanwhile. */
  let opening: Promise<DaemonConnection> | undefined;
  /**
   * The live connection, or a new one once the socket passed the trust check (run before each new connection: the
   * socket may have been replaced since the last one). Calls made meanwhile wait for the same one.
   */
  const connected = (): Promise<DaemonConnection> => {
    if (connection?.alive) return Promise.resolve(connection);
    opening ??= trust()
      .then(() => {
        const fresh = new DaemonConnection(options.socketPath, maxFrameBytes, reportMs, () => {
          if (connection === fresh) connection = undefined;
        });
        connection = fresh;
        return fresh;
      })
      .finally(() => {
        opening = undefined;
      });
    return opening;
  };
  let nextId = 0;
  let closed = false;

  /**
   * Tells the daemon, on the connection that carried the evaluate frame `evaluateId`, that its answer was refused
   * (`error`), and waits for it to be recorded, at most reportMs. Best effort: never throws.
   */
  const reportRefusal = (
    connection: DaemonConnection,
    evaluateId: string,
    error: DaemonClientError,
    answer: unknown,
  ): Promise<void> => {
    const decisionId = (answer as { decision_id?: unknown } | null | undefined)?.decision_id;
    const refusal = {
      evaluate_id: evaluateId,
      ...(typeof decisionId === 'string' && isSafeIdentifier(decisionId) ? { decision_id: decisionId } : {}),
      code: error.code,
      message: error.message.slice(0, 512),
    };
    const id = `c${++nextId}`;
    return connection.report(id, `${JSON.stringify({ v: 1, id, type: 'refusal', refusal })}\n`, reportMs);
  };

  /**
   * Sends one frame and reads its answer with `read`, which throws protocol_error for an answer out of protocol.
   * `refusable`: an evaluate, whose answer the daemon has recorded: when the call fails after the frame was sent with
   * one of REPORTED, the refusal is reported on the same connection before the call fails.
   */
  const call = async <T>(
    frame: Record<string, unknown>,
    call: CallOptions,
    read: (response: ResponseFrame) => T,
    refusable = false,
  ): Promise<T> => {
    if (closed) throw new DaemonClientError('closed', 'the client was closed');
    checkCallOptions(call);
    const id = `c${++nextId}`;
    const line = `${JSON.stringify({ v: 1, id, ...frame })}\n`;
    if (Buffer.byteLength(line) - 1 > maxFrameBytes) {
      throw new DaemonClientError('request_too_large', `request frame exceeds ${maxFrameBytes} bytes`);
    }
    let current: DaemonConnection | undefined;
    let gaveUp = false;
    /** The connection the frame was written to (it may have been decided there), and the answer read, if any. */
    let sentOn: DaemonConnection | undefined;
    let answer: unknown;
    const exchange = async (): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        const used = await connected();
        current = used;
        await used.ready;
        // Timed out or aborted while connecting: the frame is not sent, so the daemon decides nothing.
        if (gaveUp) throw new DaemonClientError('aborted', 'the call was given up before it was sent');
        let response: ResponseFrame;
        try {
          sentOn = used;
          response = await used.request(id, line);
        } catch (error) {
          if (!(error instanceof UndeliveredFrame)) throw error;
          sentOn = undefined;
          // The frame never reached the daemon (it had closed the connection, say as idle, just as this call
          // wrote to it): sending it once more, on a new connection, cannot make a second decision.
          if (attempt > 0) throw error.failure;
          continue;
        }
        try {
          answer = response.body;
          return read(response);
        } catch (error) {
          // A daemon that breaks the protocol is not trusted with the other calls on the connection either.
          if (error instanceof DaemonClientError && error.code === 'protocol_error') used.abandon(error);
          throw error;
        }
      }
    };
    try {
      return await withDeadline(exchange, call, timeoutMs, () => {
        gaveUp = true;
        current?.forget(id);
      });
    } catch (error) {
      if (refusable && sentOn && error instanceof DaemonClientError && REPORTED.has(error.code)) {
        await reportRefusal(sentOn, id, error, answer);
      }
      throw error;
    }
  };

  return {
    async evaluate(request, evaluateOptions = {}) {
      // Validate here, so a bad request fails with the contract's field-named issues and never travels.
      const message = EvaluateRequestCodec.fromJSON(request, { strict: true });
      const json = EvaluateRequestCodec.toJSON(message);
      return call(
        {
          type: 'evaluate',
          request: json,
          ...(evaluateOptions.correlationId ? { correlation_id: evaluateOptions.correlationId } : {}),
        },
        evaluateOptions,
        (response) => {
          if (response.type === 'error') throw errorFrameError(response.body);
          if (response.type !== 'decision')
            throw new DaemonClientError('protocol_error', 'expected a decision frame');
          return checkDecision(response.body, message, decisionOptions);
        },
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
      closed = true;
      connection?.close();
      connection = undefined;
    },
  };
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer or null, got ${String(value)}`);
  }
  return value;
}
