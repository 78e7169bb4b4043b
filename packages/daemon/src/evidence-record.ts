import { hash } from 'node:crypto';
import type { ApprovalRequest, ApprovalStatus, Outcome, ScopeKind, VerifiedReview } from '@cavra/approvals';

/** `prev` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** How the requester of a recorded decision was authenticated. */
export type EvidenceAuthentication = 'runner' | 'unauthenticated_local_agent' | 'rejected' | 'not_checked';

/** A contract issue that lenient mode (`strict_contract: false`) tolerated in the recorded request. */
export interface EvidenceContractWarning {
  /** A ContractIssueCode of `@cavra/contracts`, e.g. `unknown_field` or `operation_conflict`. */
  readonly code: string;
  /** The field, e.g. `agent_name`; `<not an identifier>` when the request's key was not a plain identifier. */
  readonly path: string;
}

/** One line of the evidence log, before its own hash is added. Public-safe by construction (see the README). */
export interface EvidenceBody {
  /** 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** `hash` of the previous record (GENESIS_HASH for the first). */
  readonly prev: string;
  /** When the daemon recorded it, RFC 3339 UTC. */
  readonly recorded_at: string;
  /** The DecisionResponse as sent (snake_case JSON, every field), its last evidence ref naming this record. */
  readonly decision: Readonly<Record<string, unknown>>;
  /**
   * How the requester was authenticated: `runner` (verified runner_auth, see `runner`), `unauthenticated_local_agent`
   * (no runner_auth, evaluated because `runner_auth.required` is false) or `rejected` (runner_auth missing while
   * required, or invalid: the decision is a `cavra-runner-auth` block) or `not_checked` (a bare request the daemon
   * could not read or decide, answered with a `cavra-daemon` block). Absent only in records written by 0.1.0.
   */
  readonly authentication?: EvidenceAuthentication;
  /** The authenticated runner, or null for an unauthenticated local agent. */
  readonly runner: Readonly<Record<string, unknown>> | null;
  /** The public release-governance record of the request, if any. */
  readonly release_governance: Readonly<Record<string, unknown>> | null;
  /** What lenient contract parsing tolerated; absent when nothing was (always, with `strict_contract: true`). */
  readonly contract_warnings?: readonly EvidenceContractWarning[];
  /** The fleet bundle whose policy decided (fleet mode, once a bundle is active); absent otherwise. */
  readonly bundle?: EvidenceBundleRef;
  /** The daemon's fleet identity (`cavra-daemon enroll`); absent in records of a daemon never enrolled. */
  readonly daemon_id?: string;
}

/** The channel and revision of the fleet bundle that decided: revisions of a channel are unique (see fleet-bundle-store.ts). */
export interface EvidenceBundleRef {
  readonly channel: string;
  readonly revision: number;
}

/**
 * Something the evidence must say that is not a decision of the daemon. `client_refusal`: the client refused the
 * daemon's answer to a request (a `protocol_error`, a timeout, ...), so the agent was denied whatever the recorded
 * decision says; `decision_ref` is that decision's record. `truncation_accepted`: the daemon was started with
 * `--accept-truncated` on a log shorter than its checkpoint (or missing): what the checkpoint said, and what was found.
 */
export type EvidenceEvent =
  | {
      readonly type: 'client_refusal';
      readonly decision_id: string;
      readonly decision_ref: string;
      /** A DaemonClientErrorCode of `@cavra/daemon-client` (`protocol_error`, `timeout`, `aborted`, ...). */
      readonly code: string;
      /** The client's reason, printable ASCII only, at most 512 characters. */
      readonly message: string;
    }
  | {
      readonly type: 'truncation_accepted';
      readonly checkpoint: { readonly seq: number; readonly bytes: number; readonly hash: string };
      readonly found: { readonly records: number; readonly bytes: number; readonly missing: boolean };
    }
  | ApprovalEvidenceEvent
  | FleetEvidenceEvent;

/**
 * What became of a fleet bundle the daemon fetched (see the README's "Fleet mode"). `key_ids`: the TUF key ids that
 * signed each role's verified metadata (`{}` when the refusal came before that); `manifest_digest`: SHA-256 (hex) of the bundle
 * target as fetched, when it was fetched.
 */
export type FleetEvidenceEvent =
  | {
      readonly type: 'bundle_activated';
      readonly channel: string;
      readonly revision: number;
      readonly manifest_digest: string;
      readonly key_ids: Readonly<Record<string, readonly string[]>>;
      /** The revision it replaced, or null for the daemon's first bundle. */
      readonly previous_revision: number | null;
    }
  | {
      readonly type: 'bundle_refused';
      readonly channel: string;
      /** The revision offered (the head's, or the bundle's), when known. */
      readonly revision: number | null;
      readonly manifest_digest: string | null;
      readonly key_ids: Readonly<Record<string, readonly string[]>>;
      /** A FleetError code of `@cavra/fleet` (`tampered`, `expired`, `older_revision`, ...) or `activation_failed`. */
      readonly code: string;
      /** Printable ASCII, at most 512 characters. */
      readonly reason: string;
      /** The revision still in force, or null when none is. */
      readonly active_revision: number | null;
    };

/**
 * What happened to an approval request (`approvals:` configured; see the README's "Approvals"). Each is recorded
 * before the frame or decision it concerns is answered. None holds a bearer credential: a review made with an OIDC
 * ID token keeps the token's hash and claims, never the token (`VerifiedReview` of `@cavra/approvals`).
 */
export type ApprovalEvidenceEvent =
  | {
      /** A `require_approval` decision created this request; `decision` is the engine's answer before approvals touched it. */
      readonly type: 'approval_requested';
      readonly request: ApprovalRequest;
      readonly decision: Readonly<Record<string, unknown>>;
    }
  | {
      /** A review the store accepted; `revision` is the state's after it. */
      readonly type: 'approval_reviewed';
      readonly request_id: string;
      readonly review: VerifiedReview;
      readonly revision: number;
    }
  | {
      /** A review refused, with the ApprovalError code; `reviewer` when the review could be verified that far. */
      readonly type: 'approval_review_refused';
      readonly request_id?: string;
      readonly code: string;
      readonly reviewer?: string;
    }
  | {
      /**
       * A state of this daemon's request read from the fleet store whose outcome does not follow from reviews it
       * verified with its own approver keys (a forged or altered state): it counts as not approved.
       */
      readonly type: 'approval_unverifiable';
      readonly request_id: string;
      /** What failed, e.g. `review 1 does not verify (unknown_approver)`. */
      readonly problem: string;
    }
  | {
      /** The request was decided (approved, denied) or found expired. */
      readonly type: 'approval_outcome';
      readonly request_id: string;
      readonly status: Exclude<ApprovalStatus, 'pending'>;
      readonly outcome: Outcome;
    }
  | {
      /** A retry of the approved action was allowed by the grant (a `once` grant is then consumed). */
      readonly type: 'approval_grant_used';
      readonly request_id: string;
      readonly decision_id: string;
      readonly decision_ref: string;
      readonly scope: ScopeKind;
    }
  | {
      /** The agent's host reports that the action it asked about ran (Claude Code's PostToolUse). */
      readonly type: 'asked_action_ran';
      readonly decision_id: string;
      readonly ran: boolean;
      readonly tool: string;
    };

/** One line of the evidence log that records an event rather than a decision. */
export interface EvidenceEventBody {
  readonly seq: number;
  readonly prev: string;
  readonly recorded_at: string;
  readonly event: EvidenceEvent;
  readonly daemon_id?: string;
}

/**
 * A line of the log: a decision's record, or (since 0.3) an event's, with `hash`, the SHA-256 (hex) of the JSON text
 * of the body (bodyJson), and `signature` when the daemon signs its log (`evidence_signing`: see
 * evidence-signature.ts).
 */
export type EvidenceRecord = (EvidenceBody | EvidenceEventBody) & {
  readonly hash: string;
  readonly signature?: EvidenceSignature;
};

/** A record's HMAC by the daemon's evidence key, over the schema, `prev` and `hash` (upstream's form). */
export interface EvidenceSignature {
  readonly algorithm: 'HMAC-SHA256';
  readonly key_id: string;
  /** Lowercase hex. */
  readonly value: string;
}

export function hashBody(body: EvidenceBody | EvidenceEventBody): string {
  return hashJson(bodyJson(body));
}

// The one-shot hash: a Hash object per record cost more than the hashing itself.
function hashJson(json: string): string {
  return hash('sha256', json, 'hex');
}

/**
 * The hashed text: the body's keys in their fixed order, JSON without whitespace. Keys a body does not have are left
 * out (JSON.stringify drops undefined), so each kind of record and older records keep their hashes.
 */
export function bodyJson(either: EvidenceBody | EvidenceEventBody): string {
  const body = either as Partial<EvidenceBody> & Partial<EvidenceEventBody>;
  return JSON.stringify({
    seq: body.seq,
    prev: body.prev,
    recorded_at: body.recorded_at,
    decision: body.decision,
    // Absent in 0.1.0 records: JSON.stringify leaves an undefined key out, so their hashes still verify.
    authentication: body.authentication,
    runner: body.runner,
    release_governance: body.release_governance,
    contract_warnings: body.contract_warnings,
    event: body.event,
    // Keys added in 0.4, last: records without them keep their hashes.
    bundle: body.bundle,
    daemon_id: body.daemon_id,
  });
}

/**
 * bodyJson of a decision's body, byte for byte, around the decision's JSON text made once: the same text is the
 * answer sent to the client, so the decision is serialized once for both.
 */
export function decisionBodyJson(body: EvidenceBody, decisionText: string): string {
  const rest = JSON.stringify({
    authentication: body.authentication,
    runner: body.runner,
    release_governance: body.release_governance,
    contract_warnings: body.contract_warnings,
    bundle: body.bundle,
    daemon_id: body.daemon_id,
  });
  const head = `{"seq":${JSON.stringify(body.seq)},"prev":${JSON.stringify(body.prev)},"recorded_at":${JSON.stringify(body.recorded_at)}`;
  return `${head},"decision":${decisionText}${rest === '{}' ? '}' : `,${rest.slice(1)}`}`;
}

export function recordLine(record: EvidenceRecord): string {
  return lineOf(bodyJson(record), record.hash, record.signature);
}

/**
 * A new record: its hash and its line from a single serialization of the body (the line is the hashed text with
 * `hash` and `signature` added), since the writer's hot path would otherwise serialize every record twice.
 */
export function sealRecord(
  body: EvidenceBody | EvidenceEventBody,
  sign?: (hash: string) => EvidenceSignature,
  decisionText?: string,
): { readonly record: EvidenceRecord; readonly line: string } {
  const json =
    decisionText === undefined ? bodyJson(body) : decisionBodyJson(body as EvidenceBody, decisionText);
  const hash = hashJson(json);
  const signature = sign?.(hash);
  return {
    record: { ...body, hash, ...(signature ? { signature } : {}) },
    line: lineOf(json, hash, signature),
  };
}

function lineOf(json: string, hash: string, signature: EvidenceSignature | undefined): string {
  const signed = signature
    ? `,"signature":${JSON.stringify({ algorithm: signature.algorithm, key_id: signature.key_id, value: signature.value })}`
    : '';
  return `${json.slice(0, -1)},"hash":${JSON.stringify(hash)}${signed}}\n`;
}
