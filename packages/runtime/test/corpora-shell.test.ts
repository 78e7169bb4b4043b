import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicyPack, type Engine, loadBaselinePack, parsePolicyPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

/** An agent-side attempt: one request, or a chain whose every step must be allowed for it to succeed. */
interface Evasion {
  readonly note: string;
  readonly steps: readonly (readonly [string, string])[];
}

// The shell-reading classes: line continuations, files written by a command's arguments, exported variables.
const FILES = [
  'evasion-line-continuation.json',
  'evasion-writes-by-argument.json',
  'evasion-export.json',
] as const;
const corpus = (name: string): Evasion[] =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));

const ALLOWED = new Set(['allow', 'allow_with_attestation', 'warn', 'audit_only']);

let engines: Record<'baseline' | 'developer', Engine>;
beforeAll(async () => {
  const baseline = await loadBaselinePack();
  // The baseline with a team's permissive allow list (`cp *`, `rm *`, `export *`, ...): what still holds is what
  // the reading of the command decides, not the list.
  const allow = JSON.parse(readFileSync(new URL('corpora/developer-allow.json', import.meta.url), 'utf8'));
  const document = {
    ...baseline.resolved,
    metadata: { id: 'cavra-ai-agent-baseline', version: '1' },
    commands: { ...baseline.resolved.commands, allow },
  };
  engines = {
    baseline: exactEngine([baseline]),
    developer: exactEngine([
      compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' })),
    ]),
  };
});

/** The first step that is not allowed decides the attempt; an attempt whose every step is allowed got through. */
function outcome(engine: Engine, entry: Evasion): ReturnType<Engine['evaluate']> | undefined {
  for (const [actionType, target] of entry.steps) {
    const decision = engine.evaluate(request(actionType, target));
    if (!ALLOWED.has(decision.decision)) return decision;
  }
  return undefined;
}

describe.each(FILES)('%s', (file) => {
  const entries = corpus(file);
  it.each(['baseline', 'developer'] as const)(
    'lets no attempt through under the %s allow list',
    (profile) => {
      expect(entries.length).toBeGreaterThanOrEqual(25);
      const results = entries.map((entry) => [entry, outcome(engines[profile], entry)] as const);
      expect(results.filter(([, decision]) => decision === undefined).map(([entry]) => entry.note)).toEqual(
        [],
      );
      const figures: Record<string, number> = {};
      for (const [, decision] of results) {
        const key = `${decision?.decision} ${decision?.ruleId}`;
        figures[key] = (figures[key] ?? 0) + 1;
      }
      console.log(file, profile, entries.length, figures);
    },
  );
});
