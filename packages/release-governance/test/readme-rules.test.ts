import { readFile } from 'node:fs/promises';
import type { RuntimeDecision } from '@cavra/contracts';
import { type ReleaseGovernanceEvidence, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, loadBaselinePack } from '@cavra/runtime';
import { expect, it } from 'vitest';
import {
  createReleaseGovernanceEvaluator,
  DrillHistory,
  type DrillRecord,
  promotionAuditExportEvidence,
} from '../src/index.js';
import { RULE_CASES, release } from './rule-cases.js';
import { RELEASE_GOVERNANCE_CONFORMANCE_CASES } from './support/upstream-conformance-cases.js';

interface Row {
  readonly decision: string;
  readonly severity: string;
  readonly reason: RegExp;
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The README's reason templates: `<field>` is a value, `[...]` optional, `item(s)` / `deliver(y|ies)` by count.
function reasonPattern(template: string): string {
  return template
    .split(/(<[^>]+>|\[[^\]]*\]|(?<=\w)\([a-z|]+\))/)
    .map((part, index) => {
      if (index % 2 === 0) return literal(part);
      if (part.startsWith('<')) return '.+';
      if (part.startsWith('[')) return `(?:${reasonPattern(part.slice(1, -1))})?`;
      const choices = part.slice(1, -1).split('|');
      return choices.length === 1 ? `(?:${choices[0]})?` : `(?:${choices.join('|')})`;
    })
    .join('');
}

async function readmeRules(): Promise<Map<string, Row>> {
  const text = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  // The formatter pads the table's columns, so the header is found by its cells.
  const header =
    /^\|\s*kind\s*\|\s*condition\s*\|\s*decision\s*\|\s*rule id\s*\|\s*severity\s*\|\s*reason\s*\|$/m;
  const start = text.search(header);
  expect(start).toBeGreaterThan(-1);
  const table = text.slice(start);
  const rows = new Map<string, Row>();
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim().replaceAll('\\|', '|').replace(/^`|`$/g, ''));
    const [, , decision, ruleId, severity, reason] = cells as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // A rule id may head several rows (ways into it); they must agree.
    const existing = rows.get(ruleId);
    const row = { decision, severity, reason: new RegExp(`^${reasonPattern(reason)}$`) };
    if (existing) expect([existing.decision, existing.severity]).toEqual([decision, severity]);
    else rows.set(ruleId, row);
  }
  return rows;
}

async function observed(): Promise<RuntimeDecision[]> {
  const now = new Date('2026-11-25T10:00:00Z');
  const packs = [await loadBaselinePack()];
  const engine = (drills?: DrillHistory) =>
    createEngine({
      packs,
      evaluators: [createReleaseGovernanceEvaluator(drills ? { drills, maxDrillAgeDays: 14 } : {})],
      clock: () => now,
    });
  const decide = (evidence: ReleaseGovernanceEvidence | undefined, drills?: DrillHistory) =>
    engine(drills).evaluate(
      toRuntimeRequest({
        action_type: 'release_governance_record',
        ...(evidence ? { release_governance: evidence } : {}),
      }),
    );
  const promotion = promotionAuditExportEvidence({
    ...release,
    auditExportStatus: 'exported',
    auditExportRef: 'audit://exports/42',
  });
  const drill: DrillRecord = {
    environment: 'stable',
    actor: 'sre@example.com',
    completedAt: '2026-10-01T09:00:00Z',
    from: 'v0.2.0',
    to: 'v0.1.9',
    outcome: 'succeeded',
    evidenceRefs: [],
  };
  const clock = () => now;
  return [
    ...RULE_CASES.map(([, evidence]) => decide(evidence)),
    ...RELEASE_GOVERNANCE_CONFORMANCE_CASES.map((c) => engine().evaluate(toRuntimeRequest(c.request))),
    decide(undefined),
    decide(promotion, DrillHistory.inMemory([], { clock })),
    decide(promotion, DrillHistory.inMemory([drill], { clock })),
  ];
}

it('the README rules table names every rule with its exact decision, severity and reason', async () => {
  const rows = await readmeRules();
  const decisions = await observed();
  for (const decision of decisions) {
    const row = rows.get(decision.ruleId);
    expect(row, decision.ruleId).toBeDefined();
    expect([decision.ruleId, decision.decision, decision.severity]).toEqual([
      decision.ruleId,
      row?.decision,
      row?.severity,
    ]);
    expect(decision.reason).toMatch(row?.reason as RegExp);
  }
  expect([...rows.keys()].sort()).toEqual([...new Set(decisions.map((d) => d.ruleId))].sort());
});
