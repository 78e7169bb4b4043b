import { shareInstanceof } from '@cavra/contracts/plain';

/** Why no decision could be obtained; every one of these ends in a deny (fail closed). */
export type NoDecisionCode =
  | 'not_json'
  | 'payload_too_large'
  | 'invalid_payload'
  | 'daemon_unavailable'
  | 'daemon_error'
  | 'invalid_request'
  | 'engine_error';

/** No decision was obtained for a tool call. The message says why, in words fit for the agent and its user. */
export class NoDecisionError extends Error {
  readonly code: NoDecisionCode;

  constructor(code: NoDecisionCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoDecisionError';
    this.code = code;
  }
}
shareInstanceof(NoDecisionError, '@cavra/agent-hooks.NoDecisionError');
