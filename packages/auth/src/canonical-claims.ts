import { createHash } from 'node:crypto';
import {
  type EvaluateRequest,
  EvaluateRequestCodec,
  MESSAGE_FIELDS,
  ReleaseGovernanceEvidenceCodec,
  type RunnerIdentity,
} from '@cavra/contracts';

/** First line of the canonical form; a new layout gets a new version line. */
export const CANONICAL_CLAIMS_VERSION = 'CAVRA-RUNNER-HMAC-V1';

/** The time bound and key that are signed along with the request. */
export interface SignedBound {
  readonly keyId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

/**
 * The canonical serialisation that HMAC-SHA256 signs (byte for byte in the README):
 * the version line, then one line per field in this fixed order, each `<name>:<UTF-8 byte length>:<value>\n`.
 * The length prefix makes it unambiguous: no value can end early or run into the next field, whatever it holds.
 */
export function canonicalClaims(request: EvaluateRequest, bound: SignedBound): string {
  const identity = (request.runner_auth?.identity ?? {}) as Partial<RunnerIdentity>;
  const fields: [string, string][] = [
    ['algorithm', 'HMAC-SHA256'],
    ['key_id', bound.keyId],
    ['issued_at', bound.issuedAt],
    ['expires_at', bound.expiresAt],
    ...MESSAGE_FIELDS.RunnerIdentity.map(
      (field) =>
        [`identity.${field.name}`, String(identity[field.name as keyof RunnerIdentity] ?? '')] as [
          string,
          string,
        ],
    ),
    ['session_id', request.session_id],
    ['agent_id', request.agent_id],
    ['actor', request.actor],
    ['action_type', request.action_type],
    ['target', request.target],
    ['requested_operation', request.requested_operation],
    ['policy_pack', request.policy_pack],
    ['release_governance_sha256', releaseGovernanceDigest(request)],
  ];
  return `${CANONICAL_CLAIMS_VERSION}\n${fields
    .map(([name, value]) => `${name}:${Buffer.byteLength(value, 'utf8')}:${value}\n`)
    .join('')}`;
}

/**
 * SHA-256 (lower-case hex) of the release-governance payload's canonical JSON: snake_case keys, proto3 default
 * values left out, keys sorted, no whitespace. Empty when the request carries no payload.
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

/**
 * Reads any EvaluateRequest input (message, JSON object or text, legacy `operation` included) into the message
 * whose fields are signed, so signer and verifier see the same values.
 */
export function toSignedRequest(input: unknown): EvaluateRequest {
  return EvaluateRequestCodec.fromJSON(input);
}
