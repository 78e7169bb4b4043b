import { createHash } from 'node:crypto';

/** `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** How the requester of a recorded decision was authenticated. */
export type EvidenceAuthentication = 'runner' | 'unauthenticated_local_agent' | 'rejected';

/** One line of the evidence log, before its own hash is added. Public-safe by construction (see the README). */
export interface EvidenceBody {
  /** 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** `hash` of the previous record (GENESIS_HASH for the first). */
  readonly prev: string;
  /** When the daemon recorded it, RFC 3339 UTC. */
  readonly recorded_at: string;
  /** The DecisionResponse as sent (snake_case JSON, every field). */
  readonly decision: Readonly<Record<string, unknown>>;
  /**
   * How the requester was authenticated: `runner` (verified runner_auth, see `runner`), `unauthenticated_local_agent`
   * (no runner_auth, evaluated because `runner_auth.required` is false) or `rejected` (runner_auth missing while
   * required, or invalid: the decision is a `cavra-runner-auth` block). Absent only in records written by 0.1.0.
   */
  readonly authentication?: EvidenceAuthentication;
  /** The authenticated runner, or null for an unauthenticated local agent. */
  readonly runner: Readonly<Record<string, unknown>> | null;
  /** The public release-governance record of the request, if any. */
  readonly release_governance: Readonly<Record<string, unknown>> | null;
}

export interface EvidenceRecord extends EvidenceBody {
  /** SHA-256 (hex) of the JSON text of the body: every key above, in this order. */
  readonly hash: string;
}

export function hashBody(body: EvidenceBody): string {
  return createHash('sha256').update(bodyJson(body), 'utf8').digest('hex');
}

/** The hashed text: the body's keys in their fixed order, JSON without whitespace. */
export function bodyJson(body: EvidenceBody): string {
  return JSON.stringify({
    seq: body.seq,
    prev: body.prev,
    recorded_at: body.recorded_at,
    decision: body.decision,
    // Absent in 0.1.0 records: JSON.stringify leaves an undefined key out, so their hashes still verify.
    authentication: body.authentication,
    runner: body.runner,
    release_governance: body.release_governance,
  });
}

export function recordLine(record: EvidenceRecord): string {
  return `${bodyJson(record).slice(0, -1)},"hash":"${record.hash}"}\n`;
}
