import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicyPack, type Engine, loadBaselinePack, parsePolicyPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

/** An agent-side attempt: one request, or a chain whose every step must be allowed for it to succeed. */
interface Evasion {
  readonly note: string;
  readonly steps: readonly (readonly [string, string])[];
}

const corpus = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));
// One corpus per class of attempt: commands that run other commands, runner options that load code, secrets
// printed without naming a file, and ways to reach a protected branch without `git push`.
const CORPORA = [
  'evasion-inner-commands.json',
  'evasion-code-loading.json',
  'evasion-secret-dumps.json',
  'evasion-reaching-main.json',
];
const ALLOWED = new Set(['allow', 'allow_with_attestation', 'warn', 'audit_only']);

let packs: Record<string, { engine: Engine; id: string }>;
beforeAll(async () => {
  const baseline = await loadBaselinePack();
  // The baseline with a permissive allow list a team might copy: what is not allowed then is decided by the
  // reading of the command, not by the list.
  const document = {
    ...baseline.resolved,
    metadata: { id: 'developer', version: '1' },
    commands: { ...baseline.resolved.commands, allow: corpus<string[]>('developer-allow.json') },
  };
  const developer = compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' }));
  packs = {
    baseline: { engine: exactEngine([baseline]), id: 'cavra-ai-agent-baseline' },
    developer: { engine: exactEngine([developer]), id: 'developer' },
  };
});

/** The first step that is not allowed decides the attempt; an attempt whose every step is allowed got through. */
function outcome(engine: Engine, id: string, entry: Evasion): string {
  for (const [actionType, target] of entry.steps) {
    const { decision } = engine.evaluate(request(actionType, target, { policy_pack: id }));
    if (!ALLOWED.has(decision)) return decision;
  }
  return 'allow';
}

describe.each(CORPORA)('%s', (name) => {
  const entries = corpus<Evasion[]>(name);
  it('holds at least 25 attempts', () => {
    expect(entries.length).toBeGreaterThanOrEqual(25);
  });
  it.each(['baseline', 'developer'])('lets none through under the %s allow list', (pack) => {
    const { engine, id } = packs[pack] as { engine: Engine; id: string };
    const through = entries.filter((entry) => outcome(engine, id, entry) === 'allow').map(({ note }) => note);
    expect(through).toEqual([]);
  });
});
