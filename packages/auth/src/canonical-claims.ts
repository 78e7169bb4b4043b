import { createHash } from 'node:crypto';
import { type EvaluateRequest, ReleaseGovernanceEvidenceCodec, type RunnerIdentity } from '@cavra/contracts';
import { REQUEST_BOUND_SCHEME } from './hmac-scheme.js';
import { RunnerAuthError } from './runner-auth-error.js';

/** First line of the canonical form and the scheme's name (REQUEST_BOUND_SCHEME); a new layout gets a new one. */
export const CANONICAL_CLAIMS_VERSION = REQUEST_BOUND_SCHEME;

/**
 * The RunnerIdentity fields signed by V1, in order. Pinned here rather than read from the contract, so a field added
 * to the contract cannot silently change the V1 bytes (a test fails instead, and the layout gets a new version).
 */
export const SIGNED_IDENTITY_FIELDS = [
  'provider',
  'repository',
  'workflow',
  'run_id',
  'run_attempt',
  'ref',
  'sha',
  'actor',
  'job',
  'runner_name',
] as const satisfies readonly (keyof RunnerIdentity)[];

/** The EvaluateRequest fields signed by V1 after the identity, in order (pinned for the same reason). */
export const SIGNED_REQUEST_FIELDS = [
  'session_id',
  'agent_id',
  'actor',
  'action_type',
  'target',
  'requested_operation',
  'policy_pack',
] as const satisfies readonly (keyof EvaluateRequest)[];

/** The time bound and key that are signed along with the request. */
export interface SignedBound {
  readonly keyId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

// A lone UTF-16 surrogate has no UTF-8 form: every one encodes as U+FFFD, so two different values would sign alike.
const LONE_SURROGATE = /\p{Cs}/u;
// Any surrogate, paired or not: a cheaper test that most values pass, before the exact one.
const SURROGATE = /[\uD800-\uDFFF]/;

/** Throws `bad_encoding` naming the field when a value to be signed holds a lone surrogate. */
export function checkSignable(name: string, value: string): string {
  if (SURROGATE.test(value) && LONE_SURROGATE.test(value))
    throw new RunnerAuthError('bad_encoding', `${name} is not well-formed Unicode (lone surrogate)`);
  return value;
}

/**
 * The canonical serialisation that HMAC-SHA256 signs (byte for byte in the README): the version line, then one line
 * per field in this fixed order, each `<name>:<UTF-8 byte length>:<value>\n`. The length prefix makes it
 * unambiguous: no value can end early or run into the next field, whatever it holds. Throws `bad_encoding` naming
 * the field when a value holds a lone surrogate (it has no single UTF-8 form).
 */
export function canonicalClaims(request: EvaluateRequest, bound: SignedBound): string {
  const identity = (request.runner_auth?.identity ?? {}) as Partial<RunnerIdentity>;
  // Built by concatenation: this runs for every signed request, and lists of pairs cost more than the hashing.
  let text = `${CANONICAL_CLAIMS_VERSION}\n`;
  const line = (name: string, value: string) => {
    text += `${name}:${Buffer.byteLength(checkSignable(name, value), 'utf8')}:${value}\n`;
  };
  line('algorithm', 'HMAC-SHA256');
  line('key_id', bound.keyId);
  line('issued_at', bound.issuedAt);
  line('expires_at', bound.expiresAt);
  for (const name of SIGNED_IDENTITY_FIELDS) line(`identity.${name}`, identity[name] ?? '');
  for (const name of SIGNED_REQUEST_FIELDS) line(name, request[name] ?? '');
  line('release_governance_sha256', releaseGovernanceDigest(request));
  return text;
}

/**
 * SHA-256 (lower-case hex) of the release-governance payload's canonical JSON: snake_case keys, proto3 default
 * values left out, keys sorted, no whitespace, strings escaped as JSON.stringify does. Empty when the request carries
 * no payload.
 */
export function releaseGovernanceDigest(request: EvaluateRequest): string {
  if (!request.release_governance) return '';
  const json = ReleaseGovernanceEvidenceCodec.toJSON(request.release_governance);
  const sorted = Object.fromEntries(
    Object.keys(json)
      .sort()
      .map((key) => [key, json[key]]),
  );
  return createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex');
}
