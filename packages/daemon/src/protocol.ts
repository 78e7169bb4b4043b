import { isSafeIdentifier, shareInstanceof } from '@cavra/contracts';
import { parseWireJson, WireJsonError } from '@cavra/daemon-client';
import { APPROVAL_FRAME_KEYS, type ApprovalFrame, toApprovalFrame } from './approval-frames.js';

/** Version of the daemon wire protocol (see the README: "Wire protocol"). */
export const PROTOCOL_VERSION = 1;

/** Stable codes of error frames. */
export const DAEMON_ERROR_CODES = [
  'invalid_json',
  'invalid_encoding',
  'frame_too_large',
  'read_timeout',
  'invalid_frame',
  'invalid_request',
  'unknown_action_type',
  'unknown_policy_pack',
  'overloaded',
  'shutting_down',
  'unknown_decision',
  'approvals_not_configured',
  'unknown_approval',
  'approval_refused',
  'internal',
] as const;
export type DaemonErrorCode = (typeof DAEMON_ERROR_CODES)[number];

export type RequestFrame =
  /** `id` undefined: the compatibility form, answered with a bare body. */
  | {
      readonly kind: 'evaluate';
      readonly id: string | undefined;
      readonly request: unknown;
      readonly correlationId?: string;
    }
  | { readonly kind: 'health'; readonly id: string }
  | { readonly kind: 'refusal'; readonly id: string; readonly refusal: ClientRefusal }
  | ApprovalFrame;

/**
 * A client's report that it refused the daemon's answer to one of its evaluate frames on this connection (a
 * `protocol_error`, a `timeout`, ...): the agent was denied, whatever the recorded decision says.
 */
export interface ClientRefusal {
  /** The `id` of the evaluate frame whose answer was refused. */
  readonly evaluateId: string;
  /** The answer's `decision_id`, when the client could read one. */
  readonly decisionId?: string;
  /** The client's error code, a plain identifier (`@cavra/daemon-client`'s DaemonClientErrorCode). */
  readonly code: string;
  /** Why, in the client's words: printable ASCII (anything else becomes `?`), at most MAX_REFUSAL_MESSAGE characters. */
  readonly message: string;
}

/** Longest refusal message kept; a longer one is cut. */
export const MAX_REFUSAL_MESSAGE = 512;

/**
 * An error frame to send: code, public-safe message and, for `invalid_request`, every contract issue; for
 * `approval_refused`, the `reason` (an ApprovalError code of `@cavra/approvals`).
 */
export class FrameError extends Error {
  readonly code: DaemonErrorCode;
  readonly id: string | null;
  readonly issues:
    | readonly { readonly path: string; readonly code: string; readonly message: string }[]
    | undefined;
  readonly reason: string | undefined;

  constructor(
    code: DaemonErrorCode,
    id: string | null,
    message: string,
    issues?: FrameError['issues'],
    reason?: string,
  ) {
    super(message);
    this.code = code;
    this.id = id;
    this.issues = issues;
    this.reason = reason;
  }

  /** The `error` body of the frame. */
  toBody(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
    };
  }
}
shareInstanceof(FrameError, '@cavra/daemon.FrameError');

const FRAME_KEYS: Record<string, readonly string[]> = {
  evaluate: ['v', 'id', 'type', 'request', 'correlation_id'],
  health: ['v', 'id', 'type'],
  refusal: ['v', 'id', 'type', 'refusal'],
  ...APPROVAL_FRAME_KEYS,
};
const REFUSAL_KEYS = ['evaluate_id', 'decision_id', 'code', 'message'];

/**
 * Reads one frame's bytes as a JSON object: strict UTF-8 and no lone surrogate (`invalid_encoding`), JSON
 * (`invalid_json`), an object (`invalid_frame`). These errors come before the frame's form is known: id null.
 */
export function readFrameObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseWireJson(bytes);
  } catch (error) {
    if (!(error instanceof WireJsonError)) throw error;
    throw new FrameError(
      error.problem === 'invalid_json' ? 'invalid_json' : 'invalid_encoding',
      null,
      error.message,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameError('invalid_frame', null, 'frame must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Reads one frame: readFrameObject, then toRequestFrame. A JSON object with neither `v` nor `type` is the
 * compatibility form: a bare EvaluateRequest answered with a bare DecisionResponse. Throws FrameError.
 */
export function parseFrame(frame: string | Uint8Array): RequestFrame {
  return toRequestFrame(readFrameObject(typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame));
}

/** The frame an object read from the wire is: a v1 envelope (its errors carry its id) or a bare request. */
export function toRequestFrame(frame: Record<string, unknown>): RequestFrame {
  if (!('v' in frame) && !('type' in frame)) return { kind: 'evaluate', id: undefined, request: frame };
  const id = typeof frame.id === 'string' && frame.id.length >= 1 && frame.id.length <= 128 ? frame.id : null;
  if (frame.v !== PROTOCOL_VERSION)
    throw new FrameError('invalid_frame', id, `v must be ${PROTOCOL_VERSION}`);
  if (id === null) throw new FrameError('invalid_frame', null, 'id must be a string of 1 to 128 characters');
  const allowed = typeof frame.type === 'string' ? FRAME_KEYS[frame.type] : undefined;
  if (!allowed)
    throw new FrameError('invalid_frame', id, `type must be one of ${Object.keys(FRAME_KEYS).join(', ')}`);
  const unknown = Object.keys(frame).find((key) => !allowed.includes(key));
  if (unknown !== undefined)
    throw new FrameError('invalid_frame', id, `unknown frame key ${JSON.stringify(unknown.slice(0, 64))}`);
  if (frame.type === 'health') return { kind: 'health', id };
  if (frame.type === 'refusal') return { kind: 'refusal', id, refusal: toRefusal(frame.refusal, id) };
  if (typeof frame.type === 'string' && frame.type in APPROVAL_FRAME_KEYS)
    return toApprovalFrame(
      frame.type as ApprovalFrame['kind'],
      frame,
      id,
      (message) => new FrameError('invalid_frame', id, message),
    );
  if (typeof frame.request !== 'object' || frame.request === null || Array.isArray(frame.request)) {
    throw new FrameError('invalid_frame', id, 'request must be a JSON object');
  }
  const correlation = frame.correlation_id;
  if (correlation !== undefined && (typeof correlation !== 'string' || !isSafeIdentifier(correlation))) {
    throw new FrameError('invalid_frame', id, 'correlation_id must be a plain identifier');
  }
  return {
    kind: 'evaluate',
    id,
    request: frame.request,
    ...(correlation ? { correlationId: correlation as string } : {}),
  };
}

/** The body of a refusal frame, checked: every value an identifier but the message, which is made printable. */
function toRefusal(body: unknown, id: string): ClientRefusal {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FrameError('invalid_frame', id, 'refusal must be a JSON object');
  }
  const refusal = body as Record<string, unknown>;
  const unknown = Object.keys(refusal).find((key) => !REFUSAL_KEYS.includes(key));
  if (unknown !== undefined)
    throw new FrameError('invalid_frame', id, `unknown refusal key ${JSON.stringify(unknown.slice(0, 64))}`);
  const { evaluate_id: evaluateId, decision_id: decisionId, code, message } = refusal;
  if (typeof evaluateId !== 'string' || evaluateId.length < 1 || evaluateId.length > 128)
    throw new FrameError('invalid_frame', id, 'refusal.evaluate_id must be a string of 1 to 128 characters');
  if (decisionId !== undefined && (typeof decisionId !== 'string' || !isSafeIdentifier(decisionId)))
    throw new FrameError('invalid_frame', id, 'refusal.decision_id must be a plain identifier');
  if (typeof code !== 'string' || !isSafeIdentifier(code))
    throw new FrameError('invalid_frame', id, 'refusal.code must be a plain identifier');
  if (typeof message !== 'string')
    throw new FrameError('invalid_frame', id, 'refusal.message must be a string');
  return {
    evaluateId,
    ...(decisionId !== undefined ? { decisionId: decisionId as string } : {}),
    code,
    // Free text from the client goes into the evidence: printable and bounded, never copied as it came.
    message: message.slice(0, MAX_REFUSAL_MESSAGE).replace(/[^\x20-\x7e]/g, '?'),
  };
}

/**
 * One response frame as a line (JSON + newline). `id` undefined means the compatibility form: the bare
 * DecisionResponse (that form's only answer).
 */
export function responseLine(id: string | null | undefined, type: ResponseType, body: unknown): string {
  if (body instanceof SerializedBody) {
    if (id === undefined) return `${body.text}\n`;
    // JSON.stringify's text for the same envelope, with the body's text in place of serializing it again.
    return `{"v":${PROTOCOL_VERSION},"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},${JSON.stringify(RESPONSE_BODY_KEYS[type])}:${body.text}}\n`;
  }
  if (id === undefined) return `${JSON.stringify(body)}\n`;
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, type, [RESPONSE_BODY_KEYS[type]]: body })}\n`;
}

/**
 * A response body already serialized: a decision as recorded, whose JSON text the evidence record holds too, so the
 * answer sends that text rather than serializing the decision again.
 */
export class SerializedBody {
  readonly value: Readonly<Record<string, unknown>>;
  /** JSON.stringify(value). */
  readonly text: string;

  constructor(value: Readonly<Record<string, unknown>>, text: string) {
    this.value = value;
    this.text = text;
  }
}

/** The key that holds each response type's body: its own name but for the list of approvals. */
const RESPONSE_BODY_KEYS = {
  decision: 'decision',
  health: 'health',
  refusal: 'refusal',
  error: 'error',
  approval_list: 'approvals',
  approval: 'approval',
  recorded: 'recorded',
} as const;
export type ResponseType = keyof typeof RESPONSE_BODY_KEYS;

/**
 * The one line sent to a connection turned away before anything is read from it (`overloaded`, `shutting_down`),
 * when its form cannot be known yet: a v1 error frame that also holds a `block` DecisionResponse (`daemon.<code>`),
 * so a bare client, upstream's included, reads a block rather than an empty decision. Not recorded: no request was
 * read, and recording every refused connection would turn an overload into evidence-log writes.
 */
export function refusedConnectionLine(code: 'overloaded' | 'shutting_down', message: string): string {
  return `${JSON.stringify({
    v: PROTOCOL_VERSION,
    id: null,
    type: 'error',
    error: { code, message },
    decision: 'block',
    rule_id: `daemon.${code}`,
    severity: 'high',
    reason: message,
    policy_id: 'cavra-daemon',
  })}\n`;
}
