import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toRuntimeRequest } from '@cavra/contracts';
import { createEngine, loadBaselinePack } from '@cavra/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkDrillRecord,
  createReleaseGovernanceEvaluator,
  DrillHistory,
  type DrillRecord,
  DrillRecordError,
  promotionAuditExportEvidence,
} from '../src/index.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const clock = () => NOW;

const drill = (completedAt: string, outcome: DrillRecord['outcome'] = 'succeeded'): DrillRecord => ({
  environment: 'production',
  actor: 'sre@example.com',
  completedAt,
  from: 'v0.3.0',
  to: 'v0.2.0',
  outcome,
  evidenceRefs: ['drill://production/17'],
});

const tempDirs: string[] = [];
afterAll(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-drills-'));
  tempDirs.push(dir);
  return dir;
}
const tempFile = async () => join(await tempDir(), 'drills.jsonl');

async function promote(drills: DrillHistory, now: string, maxDrillAgeDays = 14) {
  const engine = createEngine({
    packs: [await loadBaselinePack()],
    evaluators: [createReleaseGovernanceEvaluator({ drills, maxDrillAgeDays })],
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
  return [decision.decision, decision.ruleId, decision.severity, decision.reason];
}

describe('drill-gated promotion', () => {
  it('blocks without a successful drill, then allows within the age limit, then blocks when stale', async () => {
    const history = DrillHistory.inMemory([drill('2026-11-20T09:00:00Z', 'failed')], { clock });
    expect(await promote(history, '2026-11-25T10:00:00Z')).toEqual([
      'block',
      'release_governance.promotion.drill_missing',
      'high',
      'no successful rollback drill recorded for production',
    ]);
    await history.record(drill('2026-11-18T09:00:00Z'));
    expect(await promote(history, '2026-11-25T10:00:00Z')).toEqual([
      'allow',
      'release_governance.record.verified',
      'low',
      'rollout-promotion-audit-export is known evidence with no blocking signal',
    ]);
    // Exactly at the limit still passes; one second later it is stale.
    expect((await promote(history, '2026-12-02T09:00:00Z'))[0]).toBe('allow');
    expect(await promote(history, '2026-12-02T09:00:01Z')).toEqual([
      'block',
      'release_governance.promotion.drill_stale',
      'high',
      'last successful rollback drill for production completed 2026-11-18T09:00:00Z, more than 14 days ago',
    ]);
    expect((await promote(history, '2026-11-21T09:00:01Z', 1))[3]).toBe(
      'last successful rollback drill for production completed 2026-11-18T09:00:00Z, more than 1 day ago',
    );
  });

  it('takes the age limit from configuration, fractions of a day too', async () => {
    const history = DrillHistory.inMemory([drill('2026-11-25T00:00:00Z')], { clock });
    expect((await promote(history, '2026-11-25T11:59:59Z', 0.5))[0]).toBe('allow');
    expect((await promote(history, '2026-11-25T12:00:01Z', 0.5))[1]).toBe(
      'release_governance.promotion.drill_stale',
    );
  });

  it('does not let a drill completed after the engine clock vouch for a promotion', async () => {
    const history = DrillHistory.inMemory([drill('2026-11-01T09:00:00Z'), drill('2026-11-24T09:00:00Z')], {
      clock,
    });
    expect(history.lastSuccessful('production', new Date('2026-11-10T00:00:00Z'))?.completedAt).toBe(
      '2026-11-01T09:00:00Z',
    );
    expect(history.lastSuccessful('production')?.completedAt).toBe('2026-11-24T09:00:00Z');
    expect(await promote(history, '2026-11-20T00:00:00Z')).toEqual([
      'block',
      'release_governance.promotion.drill_stale',
      'high',
      'last successful rollback drill for production completed 2026-11-01T09:00:00Z, more than 14 days ago',
    ]);
  });

  it('gates an approved promotion execution too, and leaves kinds that do not promote alone', async () => {
    const engine = createEngine({
      packs: [await loadBaselinePack()],
      evaluators: [createReleaseGovernanceEvaluator({ drills: DrillHistory.inMemory([], { clock }) })],
      clock,
    });
    const decide = (evidence: Record<string, unknown>) => {
      const decision = engine.evaluate(
        toRuntimeRequest({ action_type: 'release_governance_record', release_governance: evidence }),
      );
      return [decision.decision, decision.ruleId];
    };
    const approved = { release_channel: 'production', approval_state: 'approved', approval_id: 'APR-1' };
    expect(decide({ ...approved, metadata_kind: 'rollout-promotion-execution' })).toEqual([
      'block',
      'release_governance.promotion.drill_missing',
    ]);
    expect(decide({ ...approved, metadata_kind: 'rollout-rollback-execution' })).toEqual([
      'allow',
      'release_governance.approval.approved',
    ]);
    // A stricter finding than the gate's stays: a denied promotion is blocked for its approval.
    expect(
      decide({ ...approved, approval_state: 'denied', metadata_kind: 'release-channel-promotion-request' }),
    ).toEqual(['block', 'release_governance.approval.denied']);
  });

  it('refuses an age limit that is not a positive number of days', () => {
    for (const [value, shown] of [
      [0, '0'],
      [-1, '-1'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      expect(() => createReleaseGovernanceEvaluator({ maxDrillAgeDays: value })).toThrow(
        new TypeError(`maxDrillAgeDays must be a positive number of days, got ${shown}`),
      );
    }
  });
});

describe('drill history', () => {
  it('persists drills as JSON Lines (mode 0600, folder created) and answers the last successful one', async () => {
    const path = join(await tempDir(), 'new', '.cavra', 'drills.jsonl');
    const history = await DrillHistory.open(path, { clock });
    await history.record(drill('2026-11-01T09:00:00Z'));
    await history.record(drill('2026-11-10T09:00:00Z'));
    await history.record(drill('2026-11-12T09:00:00Z', 'failed'));
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[1] as string)).toEqual(drill('2026-11-10T09:00:00Z'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reopened = await DrillHistory.open(path, { clock });
    expect(reopened.drills.map((d) => [d.completedAt, d.outcome])).toEqual([
      ['2026-11-01T09:00:00Z', 'succeeded'],
      ['2026-11-10T09:00:00Z', 'succeeded'],
      ['2026-11-12T09:00:00Z', 'failed'],
    ]);
    expect(reopened.lastSuccessful('production')).toEqual(drill('2026-11-10T09:00:00Z'));
    expect(reopened.lastSuccessful('staging')).toBeUndefined();
  });

  it('appends on a new line when the file lacks its final newline', async () => {
    const path = await tempFile();
    await writeFile(path, JSON.stringify(drill('2026-11-01T09:00:00Z')));
    const history = await DrillHistory.open(path, { clock });
    await Promise.all([
      history.record(drill('2026-11-02T09:00:00Z')),
      history.record(drill('2026-11-03T09:00:00Z')),
    ]);
    const reopened = await DrillHistory.open(path, { clock });
    expect(reopened.drills.map((d) => d.completedAt)).toEqual([
      '2026-11-01T09:00:00Z',
      '2026-11-02T09:00:00Z',
      '2026-11-03T09:00:00Z',
    ]);
  });

  it('refuses bad drills naming every field', async () => {
    const history = DrillHistory.inMemory([], { clock });
    await expect(
      history.record({
        ...drill('yesterday'),
        environment: 'prod env',
        actor: 'a\nb',
        outcome: 'ok' as 'failed',
        evidenceRefs: ['x y'],
        note: 'free text',
      } as DrillRecord),
    ).rejects.toMatchObject({
      name: 'DrillRecordError',
      code: 'invalid_drill',
      message:
        'drill: note: is not a drill field; actor: must be a non-empty single line of at most 256 bytes; ' +
        'environment: must be a plain identifier ([A-Za-z0-9._:/+-], 1-128); ' +
        'completedAt: must be an RFC 3339 UTC timestamp; outcome: must be succeeded or failed; ' +
        'evidenceRefs[0]: is not a safe reference',
    });
    await expect(
      history.record({ ...drill('2026-11-01T09:00:00Z'), evidenceRefs: Array(17).fill('ref') }),
    ).rejects.toThrow('drill: evidenceRefs: must be a list of at most 16 references');
    expect(() => checkDrillRecord('nope')).toThrow(
      new DrillRecordError('drill', [{ path: '', message: 'must be an object' }]),
    );
    expect(history.drills).toEqual([]);
  });

  it('refuses a drill in the future, recorded or found in the file', async () => {
    const history = DrillHistory.inMemory([], { clock });
    await expect(history.record(drill('2026-11-25T10:00:01Z'))).rejects.toThrow(
      'drill: completedAt: is in the future (now is 2026-11-25T10:00:00.000Z)',
    );
    await expect(history.record(drill('2026-11-25T10:00:00Z'))).resolves.toEqual(
      drill('2026-11-25T10:00:00Z'),
    );
    expect(() => DrillHistory.inMemory([drill('2030-01-01T00:00:00Z')], { clock })).toThrow(
      'drills[0]: completedAt: is in the future (now is 2026-11-25T10:00:00.000Z)',
    );
    const path = await tempFile();
    await writeFile(
      path,
      `${JSON.stringify(drill('2026-11-01T09:00:00Z'))}\n${JSON.stringify(drill('2099-01-01T00:00:00Z'))}\n`,
    );
    await expect(DrillHistory.open(path, { clock })).rejects.toThrow(
      `${path}:2: completedAt: is in the future (now is 2026-11-25T10:00:00.000Z)`,
    );
  });

  it('refuses a history file with garbage lines, naming the line', async () => {
    const path = await tempFile();
    const good = JSON.stringify(drill('2026-11-01T09:00:00Z'));
    await writeFile(path, `${good}\n\n{not json\n`);
    await expect(DrillHistory.open(path, { clock })).rejects.toThrow(
      new DrillRecordError(`${path}:3`, [{ path: '', message: 'is not JSON' }]),
    );
    await expect(DrillHistory.open(path, { clock })).rejects.toThrow(`${path}:3: is not JSON`);
    await writeFile(path, `${good}\n[1,2]\n`);
    await expect(DrillHistory.open(path, { clock })).rejects.toThrow(`${path}:2: must be an object`);
    await writeFile(path, `${good}\n{"environment":"production"}\n`);
    await expect(DrillHistory.open(path, { clock })).rejects.toThrow(
      `${path}:2: actor: must be a non-empty single line of at most 256 bytes; from: must be a plain identifier`,
    );
  });
});
