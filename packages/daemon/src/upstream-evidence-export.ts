import type { EvidenceRecord } from './evidence-record.js';
import { goJson, sha256Hex, UPSTREAM_EVIDENCE_SCHEMA, upstreamSignatureValue } from './upstream-evidence.js';

/**
 * The JSON fields of upstream's Go structs, in their declaration order (upstream
 * `go/cavra-runtime/enforcement/v1/contracts.go`), each with the kind of value Go decodes into it. Every one is
 * `omitempty`: Go leaves out "", 0, false and empty lists. Upstream's verifier re-serializes each record through
 * these structs, so an exported record holds these fields only, in this order, or its hash would not verify there.
 */
type GoKind = 'string' | 'int' | 'bool' | 'strings';
const EVALUATE_REQUEST: readonly (readonly [string, GoKind])[] = [
  ['session_id', 'string'],
  ['agent_id', 'string'],
  ['actor', 'string'],
  ['action_type', 'string'],
  ['target', 'string'],
  ['requested_operation', 'string'],
  ['policy_pack', 'string'],
];
const RELEASE_GOVERNANCE_EVIDENCE: readonly (readonly [string, GoKind])[] = [
  ['metadata_kind', 'string'],
  ['release_channel', 'string'],
  ['release_version', 'string'],
  ['approval_state', 'string'],
  ['approval_id', 'string'],
  ['approval_required_count', 'int'],
  ['delivery_success', 'bool'],
  ['failed_providers', 'strings'],
  ['failed_delivery_count', 'int'],
  ['connector_delivery_failure_count', 'int'],
  ['alert_level', 'string'],
  ['drift_status', 'string'],
  ['handoff_status', 'string'],
  ['blocked_count', 'int'],
  ['critical_count', 'int'],
  ['breached_count', 'int'],
  ['drifted_endpoint_count', 'int'],
  ['missing_target_count', 'int'],
  ['evidence_refs', 'strings'],
  ['connector_delivery_source', 'string'],
];
const DECISION_RESPONSE: readonly (readonly [string, GoKind])[] = [
  ['decision_id', 'string'],
  ['session_id', 'string'],
  ['agent_id', 'string'],
  ['actor', 'string'],
  ['action_type', 'string'],
  ['target', 'string'],
  ['requested_operation', 'string'],
  ['policy_pack', 'string'],
  ['policy_id', 'string'],
  ['rule_id', 'string'],
  ['decision', 'string'],
  ['severity', 'string'],
  ['reason', 'string'],
  ['evidence_refs', 'strings'],
  ['approver_group', 'string'],
  ['timestamp', 'string'],
  ['correlation_id', 'string'],
];

/** The value's fields that fit the Go struct, in its order, empty ones left out as `omitempty` does. */
function goStruct(
  value: Readonly<Record<string, unknown>> | null | undefined,
  fields: readonly (readonly [string, GoKind])[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of fields) {
    const field = value?.[name];
    const fits =
      kind === 'string'
        ? typeof field === 'string' && field !== ''
        : kind === 'int'
          ? Number.isSafeInteger(field) && field !== 0
          : kind === 'bool'
            ? field === true
            : Array.isArray(field) && field.length > 0 && field.every((item) => typeof item === 'string');
    if (fits) out[name] = field;
  }
  return out;
}

/** Upstream's evidence key: its daemon's `--evidence-signing-key` (the secret's bytes) and `--evidence-signing-key-id`. */
export interface UpstreamExportKey {
  readonly secret: Uint8Array;
  readonly keyId?: string;
}

/**
 * Writes our records as a chain of upstream records, one line each, that upstream's verifier
 * (`cavra-runtime --verify-evidence`) accepts. A decision record becomes `event_type` `cavra.daemon.decision` with the
 * request rebuilt from the decision (ours records the decision, not the request: the fields upstream's request has
 * are the decision's echo of them) and our public release-governance record; the response is the DecisionResponse,
 * its evidence refs still naming our record. An event record becomes `cavra.daemon.event.<type>` with the event as
 * JSON text in `response.reason` (upstream's record has no place for it). What upstream's structs have no field for
 * (`authentication`, `runner`, `contract_warnings`, decision fields upstream lacks) is left out: the source log stays
 * the evidence of record; the export is its view for upstream's tools. `record_id` is the first 24 hex digits of our
 * record's hash.
 */
export class UpstreamExporter {
  readonly #key: UpstreamExportKey | undefined;
  #previous = '';
  #sequence = 0;

  constructor(key?: UpstreamExportKey) {
    this.#key = key;
  }

  /** The next exported line, newline included. */
  line(record: EvidenceRecord): string {
    this.#sequence += 1;
    const event = 'event' in record ? record.event : undefined;
    const decision = 'decision' in record ? record.decision : undefined;
    const releaseGovernance = 'release_governance' in record ? record.release_governance : null;
    const request = goStruct(decision, EVALUATE_REQUEST);
    const evidence = goStruct(releaseGovernance, RELEASE_GOVERNANCE_EVIDENCE);
    if (Object.keys(evidence).length > 0) request.release_governance = evidence;
    const head = {
      schema_version: UPSTREAM_EVIDENCE_SCHEMA,
      product: 'CAVRA',
      event_type: event ? `cavra.daemon.event.${event.type}` : 'cavra.daemon.decision',
      record_id: record.hash.slice(0, 24),
      sequence: this.#sequence,
      ...(this.#previous !== '' ? { previous_hash: this.#previous } : {}),
    };
    const tail = {
      timestamp: record.recorded_at,
      request,
      response: event ? { reason: JSON.stringify(event) } : goStruct(decision, DECISION_RESPONSE),
    };
    const recordHash = sha256Hex(goJson({ ...head, ...tail }));
    const key = this.#key;
    const signature = key
      ? {
          algorithm: 'HMAC-SHA256',
          ...(key.keyId ? { key_id: key.keyId } : {}),
          value: upstreamSignatureValue(key.secret, this.#previous, recordHash),
        }
      : undefined;
    this.#previous = recordHash;
    return `${goJson({ ...head, record_hash: recordHash, ...tail, ...(signature ? { signature } : {}) })}\n`;
  }
}
