import { toDecisionResponse, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, type Engine, loadBaselinePack } from '@cavra/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReleaseGovernanceEvaluator } from '../src/index.js';

// Upstream CAVRA's runtime request carries release-governance evidence as `record`, an object beside the proto
// fields (go/cavra-runtime/runtime/decision.go, `Request.Record`). Its record fixtures exercise four branches of the
// cascade with requests that name only a session, the action type and the record: written here in our own words,
// with the decision upstream's engine documents for each.
let engine: Engine;
beforeAll(async () => {
  engine = createEngine({
    packs: [await loadBaselinePack()],
    evaluators: [createReleaseGovernanceEvaluator()],
    clock: () => new Date('2026-12-06T05:00:00Z'),
  });
});

const recordRequest = (session: string, record: Record<string, unknown>) => ({
  session_id: session,
  action_type: 'release_governance_record',
  record,
});

const CASES = [
  {
    name: 'a channel promotion request whose approval is pending waits for approval',
    request: recordRequest('rg-record-pending', {
      metadata_kind: 'release-channel-promotion-request',
      approval_required_count: 1,
      approval_state: 'pending',
      approval_id: 'APR-0101',
    }),
    expected: ['require_approval', 'release_governance.approval.pending', 'high', 'Release Governance'],
  },
  {
    name: 'an approved promotion execution with an approval id is allowed',
    request: recordRequest('rg-record-approved', {
      metadata_kind: 'rollout-promotion-execution',
      approval_state: 'approved',
      approval_id: 'APR-0102',
    }),
    expected: ['allow', 'release_governance.approval.approved', 'low', ''],
  },
  {
    name: 'a rollback execution that needs an approval and has none is blocked',
    request: recordRequest('rg-record-missing', {
      metadata_kind: 'rollout-rollback-execution',
      approval_required_count: 1,
    }),
    expected: ['block', 'release_governance.approval.missing', 'critical', 'Release Governance'],
  },
  {
    name: 'a remediation request whose nested approval was denied is blocked',
    request: recordRequest('rg-record-denied', {
      metadata_kind: 'endpoint-drift-remediation-request',
      approval: { state: 'denied', approval_id: 'APR-0103' },
    }),
    expected: ['block', 'release_governance.approval.denied', 'critical', 'Release Governance'],
  },
] as const;

describe("upstream's `record` on a release_governance_record request", () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Strict, as the daemon reads requests by default.
    const response = toDecisionResponse(engine.evaluate(toRuntimeRequest(c.request, { strict: true })));
    expect([response.decision, response.rule_id, response.severity, response.approver_group]).toEqual(
      c.expected,
    );
    const prefix = `evidence://${c.request.session_id}/`;
    expect(response.evidence_refs.filter((ref) => ref.startsWith(prefix))).toHaveLength(1);
  });

  it('decides a record as the same evidence sent as release_governance', () => {
    for (const c of CASES) {
      const { record, ...rest } = c.request;
      const viaRecord = toDecisionResponse(engine.evaluate(toRuntimeRequest(c.request, { strict: true })));
      const typed = toDecisionResponse(
        engine.evaluate(toRuntimeRequest({ ...rest, release_governance: record }, { strict: true })),
      );
      expect([viaRecord.decision, viaRecord.rule_id, viaRecord.reason]).toEqual([
        typed.decision,
        typed.rule_id,
        typed.reason,
      ]);
    }
  });

  it('an empty record is a missing record, as upstream decides it', () => {
    const response = toDecisionResponse(
      engine.evaluate(toRuntimeRequest(recordRequest('rg-record-empty', {}), { strict: true })),
    );
    expect([response.decision, response.rule_id, response.severity]).toEqual([
      'require_approval',
      'release_governance.record.missing',
      'medium',
    ]);
  });
});
