import { isSafeIdentifier, shareInstanceof } from '@cavra/contracts/plain';

/** Stable codes of client failures. None of them is ever turned into a decision: the caller chooses. */
export type DaemonClientErrorCode =
  | 'daemon_unavailable'
  | 'timeout'
  | 'aborted'
  | 'protocol_error'
  | 'daemon_error'
  | 'approval_refused'
  | 'request_too_large'
  | 'untrusted_daemon'
  | 'not_supported'
  | 'closed';

export interface DaemonIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export class DaemonClientError extends Error {
  readonly code: DaemonClientErrorCode;
  /** For `daemon_error`: the daemon's error code (e.g. `invalid_request`, `unknown_action_type`). */
  readonly daemonCode: string | undefined;
  /** For `daemon_error` with `invalid_request`: every contract issue the daemon found. */
  readonly issues: readonly DaemonIssue[];
  /**
   * For `approval_refused`: why the daemon refused a review (or an approval call its store could not serve), an
   * @cavra/approvals error code (`self_review`, `not_in_group`, `request_expired`, `store_unavailable`, ...).
   */
  readonly reason: string | undefined;

  constructor(
    code: DaemonClientErrorCode,
    message: string,
    daemon?: { code: string; issues?: readonly DaemonIssue[]; reason?: string },
  ) {
    super(message);
    this.name = 'DaemonClientError';
    this.code = code;
    this.daemonCode = daemon?.code;
    this.issues = daemon?.issues ?? [];
    this.reason = daemon?.reason;
  }
}
shareInstanceof(DaemonClientError, '@cavra/daemon-client.DaemonClientError');

/**
 * The error an error frame's body stands for: `daemon_error` with the daemon's code and issues, or, for a review the
 * daemon refused (`approval_refused`), `approval_refused` with the refusal's reason (a plain identifier, else
 * `unknown`).
 */
export function errorFrameError(body: unknown): DaemonClientError {
  const error = body as { code?: unknown; message?: unknown; issues?: DaemonIssue[]; reason?: unknown };
  const code = typeof error?.code === 'string' ? error.code : 'unknown';
  const message = String(error?.message ?? '');
  if (code === 'approval_refused') {
    const reason =
      typeof error.reason === 'string' && isSafeIdentifier(error.reason) ? error.reason : 'unknown';
    return new DaemonClientError('approval_refused', `the daemon refused: ${reason}: ${message}`, {
      code,
      reason,
    });
  }
  return new DaemonClientError('daemon_error', `the daemon refused the request: ${code}: ${message}`, {
    code,
    ...(Array.isArray(error?.issues) ? { issues: error.issues } : {}),
  });
}
