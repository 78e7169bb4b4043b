import {
  APPROVAL_STATES,
  RELEASE_GOVERNANCE_KINDS,
  RELEASE_GOVERNANCE_STATUS_VALUES,
  type ReleaseGovernanceRecord,
  toReleaseGovernanceRecord,
} from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import { cascadeFinding, decideReleaseGovernance } from '../src/index.js';

const STRICTNESS = ['allow', 'audit_only', 'allow_with_attestation', 'warn', 'require_approval', 'block'];

// A small deterministic generator (mulberry32): the same 5,000 records on every run, no wall clock.
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRecord(next: () => number): { record: ReleaseGovernanceRecord; target: string } {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const maybe = <T>(value: T, fallback: T) => (next() < 0.3 ? value : fallback);
  const status = (field: keyof typeof RELEASE_GOVERNANCE_STATUS_VALUES) =>
    maybe(pick(RELEASE_GOVERNANCE_STATUS_VALUES[field]) as string, '');
  const count = () => maybe(Math.floor(next() * 3), 0);
  const digest = next() < 0.5;
  const record = toReleaseGovernanceRecord({
    metadata_kind: maybe(pick([...RELEASE_GOVERNANCE_KINDS, 'vendor-note']), ''),
    release_channel: maybe('stable', ''),
    approval_state: maybe(pick([...APPROVAL_STATES, 'escalated']), ''),
    approval_id: maybe('APR-1', ''),
    approval_required_count: count(),
    delivery_success: next() < 0.5,
    failed_providers: maybe(['servicenow'], []),
    failed_delivery_count: count(),
    connector_delivery_failure_count: count(),
    alert_level: status('alert_level'),
    drift_status: status('drift_status'),
    handoff_status: status('handoff_status'),
    blocked_count: count(),
    critical_count: count(),
    breached_count: count(),
    drifted_endpoint_count: count(),
    missing_target_count: count(),
    verification_status: status('verification_status'),
    verified_count: count(),
    failed_verification_count: count(),
    artifact_digest_algorithm: digest ? 'sha256' : '',
    artifact_digest: digest ? 'b'.repeat(64) : '',
    integrity_status: status('integrity_status'),
    integrity_failure_count: count(),
    audit_export_status: status('audit_export_status'),
    rollback_ref: maybe('rollback://stable/1', ''),
    rollback_reference_count: count(),
  });
  return { record, target: pick(['', 'release-pipeline', ...RELEASE_GOVERNANCE_KINDS]) };
}

describe('our checks', () => {
  it('never make a decision looser than upstream cascade, over 5,000 generated records', () => {
    const next = random(20261130);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i += 1) {
      const { record, target } = randomRecord(next);
      const upstream = cascadeFinding(record, target);
      const ours = decideReleaseGovernance(record, target);
      seen.add(`${upstream.ruleId}>${ours.ruleId}`);
      expect(
        STRICTNESS.indexOf(ours.decision),
        `${JSON.stringify(record)} / ${target}`,
      ).toBeGreaterThanOrEqual(STRICTNESS.indexOf(upstream.decision));
      // Where ours agrees on the decision, the cascade's finding stands unchanged.
      if (ours.decision === upstream.decision) expect(ours).toEqual(upstream);
    }
    // The generator reaches every branch of the cascade and every check of ours.
    const reached = new Set([...seen].flatMap((pair) => pair.split('>')));
    expect([...reached].sort()).toEqual(
      [
        'approval.approved',
        'approval.denied',
        'approval.missing',
        'approval.not_required',
        'approval.pending',
        'approval.required',
        'approval.unknown',
        'audit_export.unconfirmed',
        'delivery.failed',
        'integrity.unconfirmed',
        'inventory.incomplete',
        'record.missing',
        'record.verified',
        'rollback.unreferenced',
        'signal.critical',
        'verification.unconfirmed',
      ].map((rule) => `release_governance.${rule}`),
    );
  });

  it('decide without an engine too: no evidence asks for review', () => {
    expect(decideReleaseGovernance(undefined, 'release-pipeline')).toEqual({
      decision: 'require_approval',
      ruleId: 'release_governance.record.missing',
      severity: 'medium',
      reason: 'release_governance_record request carries no release_governance evidence',
    });
  });
});
