import { describe, expect, it } from 'vitest';
import { EvaluateRequestCodec, toRuntimeRequest } from '../src/index.js';
import { issuesOf } from './support/issues-of.js';

// Upstream's runtime request carries release-governance evidence as `record` (go/cavra-runtime/runtime/decision.go).
const base = { session_id: 'rg-1', action_type: 'release_governance_record' };
const evidence = { metadata_kind: 'rollout-rollback-execution', approval_required_count: 1 };

describe("upstream's `record` key", () => {
  it('is read as release_governance, strict mode included', () => {
    const message = EvaluateRequestCodec.fromJSON({ ...base, record: evidence }, { strict: true });
    expect(EvaluateRequestCodec.toJSON(message)).toEqual({ ...base, release_governance: evidence });
    expect(toRuntimeRequest({ ...base, record: evidence }, { strict: true }).releaseGovernance).toEqual(
      toRuntimeRequest({ ...base, release_governance: evidence }, { strict: true }).releaseGovernance,
    );
  });

  it('folds a nested approval and is checked as release_governance is, under its own path', () => {
    const message = EvaluateRequestCodec.fromJSON(
      {
        ...base,
        record: { metadata_kind: 'endpoint-drift-remediation-request', approval: { state: 'denied' } },
      },
      { strict: true },
    );
    expect(message.release_governance?.approval_state).toBe('denied');
    expect(
      issuesOf(() =>
        EvaluateRequestCodec.fromJSON(
          { ...base, record: { blocked_count: -1, note: 'x' } },
          { strict: true },
        ),
      ).map((issue) => [issue.path, issue.code]),
    ).toEqual([
      ['record.blocked_count', 'negative_count'],
      ['record.note', 'unknown_field'],
    ]);
    expect(issuesOf(() => EvaluateRequestCodec.fromJSON({ ...base, record: ['x'] }))).toEqual([
      {
        path: 'record',
        code: 'not_an_object',
        message: 'expected a ReleaseGovernanceEvidence object, got array',
      },
    ]);
  });

  it('may repeat release_governance with the same content, in any key order', () => {
    const message = EvaluateRequestCodec.fromJSON(
      {
        ...base,
        release_governance: evidence,
        record: { approval_required_count: 1, metadata_kind: 'rollout-rollback-execution' },
      },
      { strict: true },
    );
    expect(message.release_governance?.approval_required_count).toBe(1);
  });

  it('is refused when it disagrees with release_governance, in lenient mode too', () => {
    for (const strict of [true, false]) {
      expect(
        issuesOf(() =>
          EvaluateRequestCodec.fromJSON(
            { ...base, release_governance: evidence, record: { ...evidence, approval_state: 'approved' } },
            { strict },
          ),
        ),
      ).toEqual([
        {
          path: 'record',
          code: 'record_conflict',
          message:
            'upstream record and release_governance carry different evidence; send one, or the same in both',
        },
      ]);
    }
  });
});

describe("upstream's `record` on another action type", () => {
  it('is not evidence, as upstream reads it only for release_governance_record: refused in strict mode', () => {
    for (const action_type of ['', 'read_file']) {
      const request = { session_id: 'rg-1', action_type, target: 'x', record: evidence };
      expect(issuesOf(() => EvaluateRequestCodec.fromJSON(request, { strict: true }))).toEqual([
        {
          path: 'record',
          code: 'unknown_field',
          message: 'EvaluateRequest has no field "record" unless action_type is release_governance_record',
        },
      ]);
      const lenient = EvaluateRequestCodec.parseJSON(request);
      expect([lenient.message.release_governance ?? null, lenient.warnings.map((w) => w.code)]).toEqual([
        null,
        ['unknown_field'],
      ]);
    }
  });
});
