import { shareInstanceof } from '@cavra/contracts';

/** Stable codes of client failures. None of them is ever turned into a decision: the caller chooses. */
export type DaemonClientErrorCode =
  | 'daemon_unavailable'
  | 'timeout'
  | 'aborted'
  | 'protocol_error'
  | 'daemon_error'
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

  constructor(
    code: DaemonClientErrorCode,
    message: string,
    daemon?: { code: string; issues?: readonly DaemonIssue[] },
  ) {
    super(message);
    this.name = 'DaemonClientError';
    this.code = code;
    this.daemonCode = daemon?.code;
    this.issues = daemon?.issues ?? [];
  }
}
shareInstanceof(DaemonClientError, '@cavra/daemon-client.DaemonClientError');
