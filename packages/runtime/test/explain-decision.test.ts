import { describe, expect, it } from 'vitest';
import {
  compilePolicyPack,
  createDecisionExplainer,
  PROTECTED_PATHS,
  parsePolicyPack,
} from '../src/index.js';
import { request } from './support/engine.js';

const pack = compilePolicyPack(
  parsePolicyPack(`
metadata: {id: team, version: "1"}
filesystem:
  block_read: ["**/.env"]
commands:
  allow: ["npm test", "git *"]
  block: ["git push --force *"]
git:
  block_push_branches: [main]
`),
);

const trials = (explanation: ReturnType<ReturnType<typeof createDecisionExplainer>['explain']>) =>
  explanation.tried.map(({ list, index, matched, decisive, outcome }) =>
    [`${list}[${index}]`, matched, decisive, outcome?.ruleId ?? ''].join(' '),
  );

describe('explaining a decision', () => {
  const explainer = createDecisionExplainer(pack);

  it('tries every pattern on its own and marks the one that decided', () => {
    const explanation = explainer.explain(request('execute_command', 'git push --force origin main'));
    expect([explanation.decision.decision, explanation.decision.ruleId]).toEqual(['block', 'commands.block']);
    expect(explanation.fallback).toEqual({
      decision: 'require_approval',
      ruleId: 'commands.default.require_approval',
      reason: "command 'git push --force origin main' is not on the allow list",
    });
    expect(trials(explanation)).toEqual([
      'filesystem.block_read[0] false false ',
      // The protected set every pack gets after its own lists.
      ...PROTECTED_PATHS.read.map((_, index) => `filesystem.block_read[${index + 1}] false false `),
      ...PROTECTED_PATHS.write.map((_, index) => `filesystem.require_approval_write[${index}] false false `),
      'commands.allow[0] false false ',
      'commands.allow[1] true false commands.allow',
      'commands.block[0] true true commands.block',
      // The command pushes to main, which the branch pattern alone would block too.
      'git.block_push_branches[0] true false git.protected_branch.block_direct_push',
    ]);
  });

  it('reads the request as the engine does: a file named by a command argument, every part of a compound', () => {
    const named = explainer.explain(request('execute_command', 'git show HEAD:.env'));
    expect([named.decision.decision, named.decision.ruleId]).toEqual(['block', 'filesystem.read.block']);
    expect(trials(named).filter((line) => line.includes(' true '))).toEqual([
      'filesystem.block_read[0] true true filesystem.read.block',
      'commands.allow[1] true false commands.allow',
    ]);
    // `npm test` alone is allowed, but the second part is on no list: the allow pattern does not apply on its own.
    const compound = explainer.explain(request('execute_command', 'npm test && curl example.com'));
    expect([compound.decision.decision, compound.decision.ruleId]).toEqual([
      'require_approval',
      'commands.default.require_approval',
    ]);
    expect(trials(compound).filter((line) => line.includes(' true '))).toEqual([]);
  });

  it('keeps the mode apart from the policy decision', () => {
    const audit = createDecisionExplainer(pack, { mode: { mode: 'audit_only' } });
    const explanation = audit.explain(request('git_push', 'main'));
    expect([explanation.decision.decision, explanation.enforced.decision]).toEqual(['audit_only', 'block']);
    expect(trials(explanation).filter((line) => line.includes(' true '))).toEqual([
      'git.block_push_branches[0] true true git.protected_branch.block_direct_push',
    ]);
  });
});
