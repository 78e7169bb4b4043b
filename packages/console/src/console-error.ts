import { shareInstanceof } from '@cavra/contracts/plain';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every refusal the console's API answers, by stable code: the HTTP status and what it means. The body is always
 * `{ "error": { "code", "message" } }` (and `reason` for `approval_refused`); the page shows the message, scripts
 * match the code.
 */
export const CONSOLE_ERRORS = {
  login_required: { status: 401, meaning: 'no session: sign in with the login token the console printed' },
  login_token_invalid: { status: 401, meaning: 'the login token is not the one the console printed' },
  login_token_spent: {
    status: 401,
    meaning: 'the login token was already used: restart cavra console for a new one',
  },
  csrf_refused: { status: 403, meaning: 'the X-CSRF-Token header is missing or not this session’s' },
  origin_refused: { status: 403, meaning: 'the request comes from another origin than the console’s' },
  host_refused: { status: 403, meaning: 'the Host header is not the console’s address' },
  invalid_request: { status: 400, meaning: 'the request body or a parameter is malformed' },
  invalid_filter: { status: 400, meaning: 'an evidence filter is malformed' },
  invalid_review: { status: 400, meaning: 'the review cannot be signed as given' },
  body_too_large: { status: 413, meaning: 'the request body is larger than the console accepts' },
  not_found: { status: 404, meaning: 'no such page or record' },
  unknown_approval: { status: 404, meaning: 'the daemon has no approval request with that id' },
  approval_refused: { status: 409, meaning: 'the daemon refused the review (its reason is given)' },
  approvals_not_configured: {
    status: 404,
    meaning: 'the console was started without a daemon to read approvals from',
  },
  signing_not_configured: {
    status: 409,
    meaning: 'the console was started without an approver identity (--key)',
  },
  evidence_not_configured: {
    status: 404,
    meaning: 'the console was started without an evidence log (--evidence)',
  },
  evidence_missing: {
    status: 404,
    meaning: 'the evidence log given to the console does not exist on this machine',
  },
  replay_not_configured: { status: 404, meaning: 'the console was started without a replay engine' },
  replay_failed: { status: 400, meaning: 'the pack could not be replayed over the log' },
  fleet_not_configured: { status: 404, meaning: 'the console was started without a NATS url (--nats)' },
  fleet_unavailable: { status: 502, meaning: 'the fleet’s NATS servers did not answer' },
  daemon_unavailable: { status: 503, meaning: 'the daemon did not answer' },
  daemon_error: { status: 502, meaning: 'the daemon answered with an error' },
  internal_error: { status: 500, meaning: 'the console failed; see its standard error' },
} as const satisfies Record<string, { status: ContentfulStatusCode; meaning: string }>;

export type ConsoleErrorCode = keyof typeof CONSOLE_ERRORS;

/** A refusal of the API: its code (CONSOLE_ERRORS) and a message for a person. */
export class ConsoleError extends Error {
  readonly code: ConsoleErrorCode;
  /** For `approval_refused`: the daemon's reason (`self_review`, `request_expired`, `not_in_group`, ...). */
  readonly reason: string | undefined;

  constructor(code: ConsoleErrorCode, message: string = CONSOLE_ERRORS[code].meaning, reason?: string) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
    this.reason = reason;
  }

  get status(): ContentfulStatusCode {
    return CONSOLE_ERRORS[this.code].status;
  }
}

// The CommonJS and ESM builds each hold a ConsoleError class: `instanceof` answers for both.
shareInstanceof(ConsoleError, '@cavra/console.ConsoleError');
