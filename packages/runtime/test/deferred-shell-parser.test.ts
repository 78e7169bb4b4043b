import { type RuntimeRequest, toRuntimeRequest } from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import {
  BASELINE_PACK_ID,
  type CompiledPolicyPack,
  createEngine,
  evaluateWhenReady,
  loadPolicyPack,
  loadShellParser,
  ShellParserNotLoadedError,
} from '../src/index.js';
import { isShellParserLoaded } from '../src/shell-parser.js';

// This file runs in a process of its own (vitest isolates test files): nothing has loaded the shell parser yet.

const FIXED_NOW = new Date('2026-11-25T10:00:00.000Z');

// Ids by kind alone, so that decisions made in another order compare equal.
function engine(packs: readonly CompiledPolicyPack[], deferShellParser: boolean) {
  return createEngine({ packs, clock: () => FIXED_NOW, ids: (kind) => `${kind}-1`, deferShellParser });
}

function command(text: string): RuntimeRequest {
  return toRuntimeRequest({
    session_id: 'session-1',
    agent_id: 'codex-agent',
    actor: 'developer@example.com',
    action_type: 'execute_command',
    target: text,
    requested_operation: text,
    policy_pack: BASELINE_PACK_ID,
  });
}

const read = toRuntimeRequest({
  session_id: 'session-1',
  action_type: 'read_file',
  target: '/home/dev/app/.env',
  requested_operation: 'read',
  policy_pack: BASELINE_PACK_ID,
});

// Commands with shell syntax (a list, a nested shell, a substitution, a line continuation): each needs the parser.
const SHELL_SYNTAX = [
  'git status && git diff HEAD~1 -- src',
  "bash -lc 'rm -rf /'",
  'echo $(cat ~/.ssh/id_rsa)',
  'cat .e\\\nnv',
];

describe('an engine built before the shell parser has loaded (deferShellParser)', () => {
  it('decides what needs no parse at once, and refuses to decide a command that does', async () => {
    const pack = await loadPolicyPack(BASELINE_PACK_ID, { awaitShellParser: false });
    expect(isShellParserLoaded()).toBe(false);
    expect(() => createEngine({ packs: [pack] })).toThrow(
      'the shell parser is not loaded: await loadShellParser() (or load a pack with loadPolicyPackFile or loadBaselinePack) before createEngine',
    );
    const deferred = engine([pack], true);
    expect(deferred.evaluate(read)).toMatchObject({ decision: 'block', ruleId: 'filesystem.read.block' });
    expect(deferred.evaluate(command('npm test'))).toMatchObject({
      decision: 'allow',
      ruleId: 'commands.allow',
    });
    expect(() => deferred.evaluate(command(SHELL_SYNTAX[0] as string))).toThrow(ShellParserNotLoadedError);
    expect(() => deferred.evaluate(command(SHELL_SYNTAX[0] as string))).toThrow(TypeError);
    expect(isShellParserLoaded()).toBe(false);
  });

  it('makes a command that needs the parser wait for it, then decides it exactly as with the parser loaded', async () => {
    const pack = await loadPolicyPack(BASELINE_PACK_ID, { awaitShellParser: false });
    const deferred = engine([pack], true);
    const waiting = SHELL_SYNTAX.map((text) => evaluateWhenReady(deferred, command(text)));
    const plain = evaluateWhenReady(deferred, command('npm test'));
    expect(isShellParserLoaded()).toBe(false);
    const decided = await Promise.all(waiting);
    expect(isShellParserLoaded()).toBe(true);

    await loadShellParser();
    const loaded = engine([pack], false);
    const expected = SHELL_SYNTAX.map((text) => loaded.evaluate(command(text)));
    expect(decided).toEqual(expected);
    expect(decided.map((decision) => [decision.decision, decision.ruleId])).toEqual([
      ['require_approval', 'commands.default.require_approval'],
      ['block', 'commands.block'],
      ['block', 'filesystem.read.block'],
      ['block', 'filesystem.read.block'],
    ]);
    expect(await plain).toEqual(loaded.evaluate(command('npm test')));
  });
});
