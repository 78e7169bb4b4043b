import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompiledPolicyPack,
  compilePolicyPack,
  type Engine,
  loadBaselinePack,
  parsePolicyPack,
} from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

/** An agent-side attempt: one request, or a chain whose every step must be allowed for it to succeed. */
interface Evasion {
  readonly note: string;
  readonly steps: readonly (readonly [string, string])[];
}
/** An everyday command and what the developer pack (below) should decide, with the reason when it is not allow. */
interface Benign {
  readonly command: string;
  readonly developer: string;
  readonly why?: string;
}

const corpus = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));
const EVASIONS = corpus<Evasion>('evasion.json');
const BENIGN = corpus<Benign>('benign.json');

// Everyday tools a team would allow: with them on the allow list, what still needs approval is what the reading of
// the command (not the list) decides. Block lists, filesystem and git rules stay the baseline's.
const DEVELOPER_ALLOW = JSON.parse(
  readFileSync(new URL('corpora/developer-allow.json', import.meta.url), 'utf8'),
);

const ALLOWED = new Set(['allow', 'allow_with_attestation', 'warn', 'audit_only']);

let baseline: CompiledPolicyPack;
let engine: Engine;
let developer: Engine;
beforeAll(async () => {
  baseline = await loadBaselinePack();
  engine = exactEngine([baseline]);
  const document = {
    ...baseline.resolved,
    metadata: { id: 'developer', version: '1' },
    commands: { ...baseline.resolved.commands, allow: DEVELOPER_ALLOW },
  };
  developer = exactEngine([compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' }))]);
});

function kind(entry: Evasion): string {
  if (entry.steps.length > 1) return 'two-step chain';
  return (
    { execute_command: 'command', read_file: 'path', write_file: 'path', git_push: 'refspec' }[
      entry.steps[0]?.[0] ?? ''
    ] ?? 'MCP name'
  );
}

/** The first step that is not allowed decides the attempt; an attempt whose every step is allowed got through. */
function outcome(entry: Evasion): string {
  for (const [actionType, target] of entry.steps) {
    const { decision } = engine.evaluate(request(actionType, target));
    if (!ALLOWED.has(decision)) return decision;
  }
  return 'allow';
}

function tally(rows: readonly (readonly [string, string])[]): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const [group, decision] of rows) {
    table[group] ??= {};
    (table[group] as Record<string, number>)[decision] =
      ((table[group] as Record<string, number>)[decision] ?? 0) + 1;
  }
  return table;
}

describe('the evasion corpus against the baseline', () => {
  it('holds at least 150 attempts, and none gets through', () => {
    const results = EVASIONS.map((entry) => [entry, outcome(entry)] as const);
    const through = results.filter(([, decision]) => decision === 'allow').map(([entry]) => entry.note);
    const figures = tally(results.map(([entry, decision]) => [kind(entry), decision]));
    console.log('evasions by kind and decision', figures);
    expect(EVASIONS.length).toBeGreaterThanOrEqual(150);
    expect(through).toEqual([]);
    // The figures in the README.
    expect(figures).toEqual({
      command: { block: 91, require_approval: 41 },
      path: { block: 25, require_approval: 3 },
      refspec: { block: 18 },
      'MCP name': { block: 10 },
      'two-step chain': { require_approval: 7 },
    });
  });
});

describe('the benign corpus', () => {
  it('holds at least 150 everyday commands, decided by the developer pack as a reviewer would', () => {
    expect(BENIGN.length).toBeGreaterThanOrEqual(150);
    const got = BENIGN.map(({ command }) =>
      developer.evaluate(request('execute_command', command, { policy_pack: 'developer' })),
    );
    const mismatches = BENIGN.flatMap((entry, index) => {
      const decision = got[index];
      return decision?.decision === entry.developer
        ? []
        : [`${entry.command} -> ${decision?.decision} ${decision?.ruleId} ${decision?.reason}`];
    });
    expect(mismatches).toEqual([]);
    // Every entry that is not allowed says why a reviewer would agree.
    expect(BENIGN.filter((entry) => entry.developer !== 'allow' && !entry.why)).toEqual([]);
    console.log(
      'benign under the developer pack',
      tally(
        got.map((decision) => ['all', `${decision.decision} (${decision.ruleId.replace(/\[\d+\]$/, '')})`]),
      ),
    );
    const baselineFigures = tally(
      BENIGN.map(({ command }) => ['all', engine.evaluate(request('execute_command', command)).decision]),
    );
    console.log('benign under the baseline', baselineFigures);
    // The figures in the README.
    expect(tally(got.map(({ decision }) => ['all', decision]))).toEqual({
      all: { allow: 155, require_approval: 21, block: 4 },
    });
    expect(baselineFigures).toEqual({ all: { allow: 7, require_approval: 169, block: 4 } });
  });
});
