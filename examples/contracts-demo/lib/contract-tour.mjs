// A tour of @cavra/contracts: one release-governance request from JSON to protobuf and back, the runtime's view of
// it, the decision the runtime would answer, and a bad request refused with every field named.
import {
  ContractValidationError,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  toDecisionResponse,
  toRuntimeRequest,
} from '@cavra/contracts';

/** The contract's own example request (shared spec): a failed connector delivery for release v0.2.0. */
export const WIRE_REQUEST = Object.freeze({
  session_id: 'release-contract-demo',
  agent_id: 'release-agent',
  actor: 'release.manager@example.com',
  action_type: 'release_governance_record',
  target: 'release-connectors',
  requested_operation: 'verify',
  policy_pack: 'cavra-ai-agent-baseline',
  release_governance: {
    metadata_kind: 'release-connector-delivery',
    release_channel: 'stable',
    release_version: 'v0.2.0',
    failed_providers: ['servicenow'],
    failed_delivery_count: 1,
    blocked_count: 1,
    connector_delivery_source: 'release_governance_promotion',
  },
});

/** Validates (strict: unknown fields refused), encodes to protobuf and decodes back to snake_case JSON. */
export function roundTrip(wire = WIRE_REQUEST) {
  const message = EvaluateRequestCodec.fromJSON(wire, { strict: true });
  const bytes = EvaluateRequestCodec.encode(message);
  return {
    message,
    jsonBytes: Buffer.byteLength(JSON.stringify(wire)),
    protobufBytes: bytes.length,
    decoded: EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(bytes)),
  };
}

/** The decision a runtime would answer for the request, as the wire's DecisionResponse JSON. */
export function decisionFor(message, { decisionId, correlationId, timestamp }) {
  const runtime = toRuntimeRequest(message);
  const response = toDecisionResponse({
    decisionId,
    sessionId: runtime.sessionId,
    agentId: runtime.agentId,
    actor: runtime.actor,
    actionType: runtime.actionType,
    target: runtime.target,
    operation: runtime.operation,
    policyPack: runtime.policyPack,
    policyId: runtime.policyPack,
    ruleId: 'release_governance.delivery.failed',
    decision: 'block',
    severity: 'high',
    reason: 'release-connector-delivery reports a failed delivery (servicenow)',
    evidenceRefs: [
      `release:${runtime.releaseGovernance.releaseChannel}/${runtime.releaseGovernance.releaseVersion}`,
    ],
    approverGroup: 'Release Governance',
    timestamp,
    correlationId,
  });
  return DecisionResponseCodec.toJSON(response);
}

/** A request with a negative count and an unknown field: every issue, not just the first. */
export function refusedIssues() {
  try {
    EvaluateRequestCodec.fromJSON(
      {
        ...WIRE_REQUEST,
        release_governance: { ...WIRE_REQUEST.release_governance, blocked_count: -1 },
        tenant: 'x',
      },
      { strict: true },
    );
  } catch (error) {
    if (error instanceof ContractValidationError) return error.issues;
    throw error;
  }
  throw new Error('the bad request was accepted');
}
