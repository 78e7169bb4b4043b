import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Engine, loadBaselinePack, loadDeveloperPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

/** An agent-side attempt: one request, or a chain whose every step must be allowed for it to succeed. */
interface Evasion {
  readonly note: string;
  readonly steps: readonly (readonly [string, string])[];
}
/** An everyday command and what the shipped developer profile decides, with the reason when it is not allow. */
interface Benign {
  readonly command: string;
  readonly developer: string;
  readonly why?: string;
}

const corpus = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));
// Every evasion corpus, so a file added next to the others is decided without editing this test.
const EVASION_FILES = readdirSync(new URL('corpora/', import.meta.url))
  .filter((name) => /^evasion.*\.json$/.test(name))
  .sort();
const EVASIONS = new Map(EVASION_FILES.map((name) => [name, corpus<Evasion>(name)] as const));
const BENIGN = corpus<Benign>('benign.json');

const ALLOWED = new Set(['allow', 'allow_with_attestation', 'warn', 'audit_only']);

const profiles: Record<'cavra-ai-agent-baseline' | 'cavra-developer', Engine> = {} as never;
beforeAll(async () => {
  profiles['cavra-ai-agent-baseline'] = exactEngine([await loadBaselinePack()]);
  profiles['cavra-developer'] = exactEngine([await loadDeveloperPack()]);
});

/** The first step that is not allowed decides the attempt; an attempt whose every step is allowed got through. */
function outcome(engine: Engine, pack: string, entry: Evasion): string {
  for (const [actionType, target] of entry.steps) {
    const { decision } = engine.evaluate(request(actionType, target, { policy_pack: pack }));
    if (!ALLOWED.has(decision)) return decision;
  }
  return 'allow';
}

function tally(rows: readonly (readonly [string, string])[]): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const [group, decision] of rows) {
    const counts = table[group] ?? {};
    counts[decision] = (counts[decision] ?? 0) + 1;
    table[group] = counts;
  }
  return table;
}

describe.each(['cavra-ai-agent-baseline', 'cavra-developer'] as const)(
  'every evasion corpus under %s',
  (pack) => {
    it('lets no attempt through', () => {
      const rows: [string, string][] = [];
      const through: string[] = [];
      for (const [file, entries] of EVASIONS) {
        for (const entry of entries) {
          const decision = outcome(profiles[pack], pack, entry);
          rows.push([file, decision]);
          if (decision === 'allow') through.push(`${file}: ${entry.note}`);
        }
      }
      console.log(`evasions under ${pack}, by file and decision`, tally(rows));
      expect(through).toEqual([]);
    });
  },
);

describe('the evasion corpora', () => {
  it('hold at least 25 attempts per file (150 in evasion.json), each with a note and steps', () => {
    expect(EVASION_FILES).toEqual(
      expect.arrayContaining([
        'evasion.json',
        'evasion-code-loading.json',
        'evasion-export.json',
        'evasion-inner-commands.json',
        'evasion-line-continuation.json',
        'evasion-profile-options.json',
        'evasion-reaching-main.json',
        'evasion-redirects.json',
        'evasion-runner-files.json',
        'evasion-secret-dumps.json',
        'evasion-secret-paths.json',
        'evasion-self-protection.json',
        'evasion-writes-by-argument.json',
      ]),
    );
    for (const [file, entries] of EVASIONS) {
      expect([file, entries.length >= (file === 'evasion.json' ? 150 : 25)]).toEqual([file, true]);
      expect(entries.filter((entry) => !entry.note || entry.steps.length === 0)).toEqual([]);
    }
  });

  it('chain through a runner file: each writes a file an allowed runner reads, then runs the runner', () => {
    const chains = EVASIONS.get('evasion-runner-files.json') ?? [];
    const developer = profiles['cavra-developer'];
    const notChains = chains.filter(
      ({ steps }) =>
        steps.length !== 2 ||
        steps[0]?.[0] !== 'write_file' ||
        steps[1]?.[0] !== 'execute_command' ||
        // The runner itself is allowed, so only the gate on the file stops the chain.
        developer.evaluate(
          request('execute_command', steps[1]?.[1] ?? '', { policy_pack: 'cavra-developer' }),
        ).decision !== 'allow',
    );
    expect(notChains.map(({ note }) => note)).toEqual([]);
  });
});

describe('the benign corpus', () => {
  it('is decided by the developer profile as a reviewer would, and mostly silently', () => {
    expect(BENIGN.length).toBeGreaterThanOrEqual(150);
    const decide = (pack: keyof typeof profiles) =>
      BENIGN.map(({ command }) =>
        profiles[pack].evaluate(request('execute_command', command, { policy_pack: pack })),
      );
    const developer = decide('cavra-developer');
    const mismatches = BENIGN.flatMap((entry, index) => {
      const decision = developer[index];
      return decision?.decision === entry.developer
        ? []
        : [`${entry.command} -> ${decision?.decision} ${decision?.ruleId} ${decision?.reason}`];
    });
    expect(mismatches).toEqual([]);
    // Every entry that is not allowed says why a reviewer would agree.
    expect(BENIGN.filter((entry) => entry.developer !== 'allow' && !entry.why)).toEqual([]);
    const figures = {
      'cavra-ai-agent-baseline': tally(
        decide('cavra-ai-agent-baseline').map(({ decision }) => ['all', decision]),
      ),
      'cavra-developer': tally(developer.map(({ decision }) => ['all', decision])),
    };
    const silent = (pack: keyof typeof figures) =>
      `${(((figures[pack].all?.allow ?? 0) / BENIGN.length) * 100).toFixed(1)} %`;
    console.log('benign under each profile', figures, {
      'silent, baseline': silent('cavra-ai-agent-baseline'),
      'silent, developer': silent('cavra-developer'),
    });
    // The figures in the README.
    expect(figures).toEqual({
      'cavra-ai-agent-baseline': { all: { allow: 7, require_approval: 169, block: 4 } },
      'cavra-developer': { all: { allow: 157, require_approval: 19, block: 4 } },
    });
  });
});
