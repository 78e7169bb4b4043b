import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toRuntimeRequest } from '@cavra/contracts';
import { createEngine, loadBaselinePack } from '@cavra/runtime';
import { describe, expect, it } from 'vitest';
import {
  createReleaseGovernanceEvaluator,
  DrillHistory,
  type DrillRecord,
  DrillRecordError,
  promotionAuditExportEvidence,
} from '../src/index.js';

const drill = (completedAt: string, outcome: DrillRecord['outcome'] = 'succeeded'): DrillRecord => ({
  environment: 'production',
  actor: 'sre@example.com',
  completedAt,
  from: 'v0.3.0',
  to: 'v0.2.0',
  outcome,
  evidenceRefs: ['drill://production/17'],
});

async function promote(drills: DrillHistory, now: string) {
  const engine = createEngine({
    packs: [await loadBaselinePack()],
    evaluators: [createReleaseGovernanceEvaluator({ drills, maxDrillAgeDays: 14 })],
    clock: () => new Date(now),
  });
  const evidence = promotionAuditExportEvidence({
    releaseChannel: 'production',
    releaseVersion: 'v0.3.0',
    auditExportStatus: 'exported',
    auditExportRef: 'audit://exports/42',
  });
  const decision = engine.evaluate(
    toRuntimeRequest({
      action_type: 'release_governance_record',
      target: 'promote',
      release_governance: evidence,
    }),
  );
  return [decision.decision, decision.ruleId, decision.reason];
}

describe('drill-gated promotion', () => {
  it('blocks without a successful drill, then allows within the age limit, then blocks when stale', async () => {
    const history = DrillHistory.inMemory([drill('2026-11-20T09:00:00Z', 'failed')]);
    expect(await promote(history, '2026-11-25T10:00:00Z')).toEqual([
      'block',
      'release-governance.promotion.drill-missing',
      'no successful rollback drill recorded for production',
    ]);
    await history.record(drill('2026-11-18T09:00:00Z'));
    expect(await promote(history, '2026-11-25T10:00:00Z')).toEqual([
      'allow',
      'release-governance.promotion-audit-export.exported',
      'audit trail exported (0 records)',
    ]);
    expect(await promote(history, '2026-12-09T10:00:00Z')).toEqual([
      'block',
      'release-governance.promotion.drill-stale',
      'last successful rollback drill for production was 21 days ago (limit 14)',
    ]);
  });

  it('persists drills as JSON Lines and reads them back', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'cavra-drills-')), 'drills.jsonl');
    const history = await DrillHistory.open(path);
    await history.record(drill('2026-11-01T09:00:00Z'));
    await history.record(drill('2026-11-10T09:00:00Z'));
    await history.record(drill('2026-11-12T09:00:00Z', 'failed'));
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(3);
    const reopened = await DrillHistory.open(path);
    expect(reopened.lastSuccessful('production')?.completedAt).toBe('2026-11-10T09:00:00Z');
    expect(reopened.lastSuccessful('staging')).toBeUndefined();
  });

  it('refuses bad drills and corrupt history lines with exact reasons', async () => {
    const history = DrillHistory.inMemory();
    await expect(
      history.record({
        ...drill('yesterday'),
        actor: 'a\nb',
        outcome: 'ok' as 'failed',
        evidenceRefs: ['x y'],
      }),
    ).rejects.toMatchObject({
      code: 'invalid_drill',
      issues: [
        { path: 'actor', message: 'must be a non-empty single line of at most 256 bytes' },
        { path: 'completedAt', message: 'must be an RFC 3339 UTC timestamp' },
        { path: 'outcome', message: 'must be succeeded or failed' },
        { path: 'evidenceRefs[0]', message: 'is not a safe reference' },
      ],
    });
    const path = join(await mkdtemp(join(tmpdir(), 'cavra-drills-')), 'drills.jsonl');
    await writeFile(path, `${JSON.stringify(drill('2026-11-01T09:00:00Z'))}\n{not json\n`);
    await expect(DrillHistory.open(path)).rejects.toThrow(
      new DrillRecordError(`${path}:2`, [{ path: '', message: 'is not JSON' }]).message,
    );
    expect(() => createReleaseGovernanceEvaluator({ maxDrillAgeDays: 0 })).toThrow(
      'maxDrillAgeDays must be a positive number of days',
    );
  });
});
