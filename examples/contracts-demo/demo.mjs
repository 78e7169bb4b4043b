// A tour of @cavra/contracts: one request from JSON to binary and back, validation errors, and the
// conversions the runtime uses. Run: npx pnpm@9.15.9 --filter @cavra/example-contracts-demo demo
import {
  ContractValidationError,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  toDecisionResponse,
  toRuntimeRequest,
} from '@cavra/contracts';

const wire = {
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
};

const message = EvaluateRequestCodec.fromJSON(wire, { strict: true });
const bytes = EvaluateRequestCodec.encode(message);
console.log(
  `EvaluateRequest: ${JSON.stringify(wire).length} bytes of JSON, ${bytes.length} bytes of protobuf`,
);
console.log(
  'decoded back to JSON:',
  JSON.stringify(EvaluateRequestCodec.toJSON(EvaluateRequestCodec.decode(bytes))),
);

const runtime = toRuntimeRequest(message);
console.log(
  `runtime request: ${runtime.actionType} ${runtime.operation} on ${runtime.target}; ` +
    `evidence ${runtime.releaseGovernance.metadataKind}, ${runtime.releaseGovernance.failedDeliveryCount} failed delivery`,
);

const response = toDecisionResponse({
  decisionId: 'dec-0001',
  sessionId: runtime.sessionId,
  agentId: runtime.agentId,
  actor: runtime.actor,
  actionType: runtime.actionType,
  target: runtime.target,
  operation: runtime.operation,
  policyPack: runtime.policyPack,
  policyId: 'cavra-release-governance',
  ruleId: 'release-governance.connector-delivery.failed',
  decision: 'block',
  severity: 'high',
  reason: 'connector delivery failed for servicenow',
  evidenceRefs: [],
  approverGroup: '',
  timestamp: new Date().toISOString(),
  correlationId: 'corr-0001',
});
console.log('DecisionResponse:', JSON.stringify(DecisionResponseCodec.toJSON(response)));

try {
  EvaluateRequestCodec.fromJSON(
    { ...wire, release_governance: { ...wire.release_governance, blocked_count: -1 }, tenant: 'x' },
    { strict: true },
  );
} catch (error) {
  if (!(error instanceof ContractValidationError)) throw error;
  console.log('a bad request is refused, every field named:');
  for (const issue of error.issues) console.log(`  ${issue.path}: ${issue.code}: ${issue.message}`);
}
