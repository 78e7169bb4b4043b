import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toRuntimeRequest } from '@cavra/contracts';
import { decisionFor, refusedIssues, roundTrip, WIRE_REQUEST } from '../lib/contract-tour.mjs';

test('the request survives JSON -> protobuf -> JSON unchanged, smaller on the wire', () => {
  const { decoded, jsonBytes, protobufBytes } = roundTrip();
  assert.deepEqual(decoded, WIRE_REQUEST);
  assert.deepEqual([jsonBytes, protobufBytes], [505, 310]);
});

test('the runtime sees camelCase fields and typed release evidence', () => {
  const runtime = toRuntimeRequest(roundTrip().message);
  assert.deepEqual(
    [runtime.actionType, runtime.operation, runtime.target, runtime.policyPack],
    ['release_governance_record', 'verify', 'release-connectors', 'cavra-ai-agent-baseline'],
  );
  assert.deepEqual(
    [
      runtime.releaseGovernance.metadataKind,
      runtime.releaseGovernance.failedProviders,
      runtime.releaseGovernance.failedDeliveryCount,
      runtime.releaseGovernance.blockedCount,
    ],
    ['release-connector-delivery', ['servicenow'], 1, 1],
  );
});

test('the decision is a valid DecisionResponse', () => {
  assert.deepEqual(
    decisionFor(roundTrip().message, {
      decisionId: 'dec-0001',
      correlationId: 'corr-0001',
      timestamp: '2026-11-25T10:00:00Z',
    }),
    {
      decision_id: 'dec-0001',
      session_id: 'release-contract-demo',
      agent_id: 'release-agent',
      actor: 'release.manager@example.com',
      action_type: 'release_governance_record',
      target: 'release-connectors',
      requested_operation: 'verify',
      policy_pack: 'cavra-ai-agent-baseline',
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: 'release_governance.delivery.failed',
      decision: 'block',
      severity: 'high',
      reason: 'release-connector-delivery reports a failed delivery (servicenow)',
      evidence_refs: ['release:stable/v0.2.0'],
      approver_group: 'Release Governance',
      timestamp: '2026-11-25T10:00:00Z',
      correlation_id: 'corr-0001',
    },
  );
});

test('a bad request is refused with every issue named', () => {
  assert.deepEqual(refusedIssues(), [
    {
      path: 'release_governance.blocked_count',
      code: 'negative_count',
      message: 'is a count and must not be negative, got -1',
    },
    { path: 'tenant', code: 'unknown_field', message: 'EvaluateRequest has no field "tenant"' },
  ]);
});
